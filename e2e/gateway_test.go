package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// /graphql serves the one composed schema: a locality or a patient answers
// with the fields of all four services in one response, and reach is still
// each service's.
func TestGateway_composes_the_four_services(t *testing.T) {
	dataDir := t.TempDir()
	code, out, errOut := run(t, nil, "seed", "--data-dir", dataDir, "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "demo data loaded") {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out, errOut)
	}
	_, base := serve(t, dataDir, nil)
	waitReady(t, base, 30*time.Second)
	token := func(args ...string) string {
		code, out, errOut := run(t, nil, append([]string{"token", "--data-dir", dataDir}, args...)...)
		if code != 0 {
			t.Fatalf("token: %s", errOut)
		}
		return strings.TrimSpace(out)
	}
	leek := token("--role", "ict_clinician", "--locality", "leek", "--name", "Sam Example")
	tamworth := token("--role", "ict_clinician", "--locality", "tamworth", "--name", "Tam Worth")

	type ref struct{ ID, Status string }
	var loc struct {
		Locality struct {
			Name        string
			GpPractices []struct{ Code string }
			Referrals   []ref
			Caseload    []struct {
				ID, Status, NhsNumber string
				ReferralID            *string
			}
			PatientsInBeds []struct{ ID string }
			OpenFalls      []struct{ ID string }
			Summary        struct{ ReferralsReceived, CaseloadSize, BedsOccupied, OpenFalls int }
		}
	}
	res := graphqlAs(t, base, leek, `{ locality(id: "leek") { name gpPractices { code } referrals { id status }
		caseload { id status nhsNumber referralId } patientsInBeds { id } openFalls { id }
		summary { referralsReceived caseloadSize bedsOccupied openFalls } } }`)
	if err := json.Unmarshal(res.Data, &loc); err != nil || len(res.Errors) > 0 {
		t.Fatalf("locality: %s %+v", res.Data, res.Errors)
	}
	l := loc.Locality
	if l.Name == "" || len(l.GpPractices) == 0 || len(l.Referrals) == 0 || len(l.Caseload) == 0 {
		t.Fatalf("Leek from the gateway, the registry, referrals and caseload: %s", res.Data)
	}
	if len(l.PatientsInBeds) == 0 || len(l.OpenFalls) == 0 {
		t.Fatalf("Leek from beds and falls: %s", res.Data)
	}
	if l.Summary.ReferralsReceived == 0 || l.Summary.CaseloadSize == 0 || l.Summary.BedsOccupied == 0 || l.Summary.OpenFalls == 0 {
		t.Fatalf("Leek's summary lacks the services' counts: %s", res.Data)
	}

	// A Leek patient with a referral and a caseload episode.
	nhs := ""
	for _, e := range l.Caseload {
		if e.ReferralID != nil {
			nhs = e.NhsNumber
			break
		}
	}
	if nhs == "" {
		nhs = l.Caseload[0].NhsNumber
	}
	var pat struct {
		Patient *struct {
			NhsNumber        string
			Referrals        []ref
			CaseloadEpisodes []ref
			Timeline         []struct{ At, Service, Type string }
		}
	}
	patientQuery := `query P($n: String!) { patient(nhsNumber: $n) { nhsNumber referrals { id status } caseloadEpisodes { id status } timeline { at service type } } }`
	res = graphqlAsVars(t, base, leek, patientQuery, map[string]any{"n": nhs})
	if err := json.Unmarshal(res.Data, &pat); err != nil || len(res.Errors) > 0 || pat.Patient == nil {
		t.Fatalf("patient %s: %s %+v", nhs, res.Data, res.Errors)
	}
	p := pat.Patient
	t.Logf("patient %s: %d referrals, %d episodes, timeline %+v", nhs, len(p.Referrals), len(p.CaseloadEpisodes), p.Timeline)
	if len(p.CaseloadEpisodes) == 0 || len(p.Timeline) == 0 {
		t.Fatalf("patient %s: %s", nhs, res.Data)
	}
	services := map[string]bool{}
	rank := map[string]int{"falls": 0, "beds": 1, "referrals": 2, "caseload": 3}
	for i, e := range p.Timeline {
		services[e.Service] = true
		if i == 0 {
			continue
		}
		prev := p.Timeline[i-1]
		a, err1 := time.Parse(time.RFC3339Nano, prev.At)
		b, err2 := time.Parse(time.RFC3339Nano, e.At)
		if err1 != nil || err2 != nil {
			t.Fatalf("timeline times %q %q", prev.At, e.At)
		}
		if b.Before(a) || (b.Equal(a) && rank[e.Service] < rank[prev.Service]) {
			t.Fatalf("timeline out of order at %d: %+v then %+v", i, prev, e)
		}
	}
	if !services["caseload"] || (len(p.Referrals) > 0 && !services["referrals"]) {
		t.Fatalf("timeline lacks a service's entries: %+v", p.Timeline)
	}
	if res := graphqlAsVars(t, base, leek, patientQuery, map[string]any{"n": "123"}); len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
		t.Fatalf("a bad NHS number: %s %+v", res.Data, res.Errors)
	}

	// Tamworth, for the Leek clinician: FORBIDDEN, and none of its data.
	res = graphqlAs(t, base, leek, `{ locality(id: "tamworth") { name referrals { id } caseload { id } patientsInBeds { id } openFalls { id } } }`)
	if len(res.Errors) == 0 {
		t.Fatalf("Leek clinician read Tamworth: %s", res.Data)
	}
	for _, e := range res.Errors {
		if e.Extensions["code"] != "FORBIDDEN" {
			t.Fatalf("Tamworth for a Leek clinician: %+v", res.Errors)
		}
	}
	if strings.Contains(string(res.Data), `"id"`) {
		t.Fatalf("Tamworth data reached a Leek clinician: %s", res.Data)
	}
	var tam struct {
		Locality struct{ Caseload []struct{ NhsNumber string } }
	}
	res = graphqlAs(t, base, tamworth, `{ locality(id: "tamworth") { caseload { nhsNumber } } }`)
	if err := json.Unmarshal(res.Data, &tam); err != nil || len(res.Errors) > 0 || len(tam.Locality.Caseload) == 0 {
		t.Fatalf("Tamworth caseload for a Tamworth clinician: %s %+v", res.Data, res.Errors)
	}
	res = graphqlAsVars(t, base, leek, patientQuery, map[string]any{"n": tam.Locality.Caseload[0].NhsNumber})
	if err := json.Unmarshal(res.Data, &pat); err != nil {
		t.Fatal(err)
	}
	if pat.Patient != nil && (len(pat.Patient.Referrals) > 0 || len(pat.Patient.CaseloadEpisodes) > 0 || len(pat.Patient.Timeline) > 0) {
		t.Fatalf("a Tamworth patient's data reached a Leek clinician: %s", res.Data)
	}
}

// graphqlAsVars is graphqlAs with variables.
func graphqlAsVars(t testing.TB, base, token, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	return doGraphQL(t, req)
}
