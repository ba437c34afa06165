package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// auditEntry is an AuditEntry of the gateway schema.
type auditEntry struct {
	UserID, Role, Operation, Kind, At string
	Organisation, BreakGlassReason    *string
	BreakGlass                        bool
}

// Reading a patient's record leaves an audit entry that an admin finds with
// auditTrail(nhsNumber): who, in what role, by which operation; a
// break-glass read is flagged with its reason. The NHS number never reaches
// the server's log.
func TestAudit_an_admin_sees_who_read_a_patients_record(t *testing.T) {
	dataDir := t.TempDir()
	if code, out, errOut := run(t, nil, "seed", "--data-dir", dataDir, "--log-level", "warn"); code != 0 {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out, errOut)
	}
	p, base := serve(t, dataDir, nil)
	waitReady(t, base, 30*time.Second)

	leek := &user{t: t, name: "Leek clinician", base: base, token: issueToken(t, dataDir,
		"--role", "ict_clinician", "--locality", "leek", "--name", "Sam Example", "--subject", "u-leek-sam", "--org", "RRE")}
	tamworthToken := issueToken(t, dataDir, "--role", "ict_clinician", "--locality", "tamworth", "--name", "Tam Worth", "--subject", "u-tamworth-tam")
	adminToken := issueToken(t, dataDir, "--role", "admin", "--name", "Ada Admin", "--subject", "u-admin")

	// A Leek patient, from the Leek referral queue.
	var queue struct {
		Locality struct {
			Referrals []struct {
				Patient *struct{ NHSNumber string }
			}
		}
	}
	leek.do("referrals", `query LeekQueue { locality(id: "leek") { referrals { patient { nhsNumber } } } }`, nil, &queue)
	nhs := ""
	for _, r := range queue.Locality.Referrals {
		if r.Patient != nil && r.Patient.NHSNumber != "" {
			nhs = r.Patient.NHSNumber
			break
		}
	}
	if nhs == "" {
		t.Fatal("no Leek referral with an NHS number after seeding")
	}

	const patientReferrals = `query PatientReferrals($n: String!) { patient(nhsNumber: $n) { referrals { id status } } }`
	var got struct {
		Patient struct{ Referrals []struct{ ID, Status string } }
	}
	leek.do("referrals", patientReferrals, map[string]any{"n": nhs}, &got)
	if len(got.Patient.Referrals) == 0 {
		t.Fatal("the Leek clinician sees no referrals of a Leek patient")
	}

	// A Tamworth clinician sees nothing of a Leek patient, until they
	// break glass.
	const reason = "Patient collapsed at Tamworth walk-in centre; Leek record needed"
	tamworth := func(breakGlass string) gqlResponse {
		body, _ := json.Marshal(map[string]any{"query": patientReferrals, "variables": map[string]any{"n": nhs}})
		req, _ := http.NewRequest(http.MethodPost, base+"/subgraphs/referrals/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tamworthToken)
		if breakGlass != "" {
			req.Header.Set("X-Break-Glass-Reason", breakGlass)
		}
		return doGraphQL(t, req)
	}
	if res := tamworth(""); len(res.Errors) > 0 || strings.Contains(string(res.Data), `"id"`) {
		t.Fatalf("a Tamworth clinician read a Leek patient without breaking glass: %s %+v", res.Data, res.Errors)
	}
	if res := tamworth(reason); len(res.Errors) > 0 || !strings.Contains(string(res.Data), `"id"`) {
		t.Fatalf("break-glass read: %s %+v", res.Data, res.Errors)
	}

	trail := func(token string) gqlResponse {
		body, _ := json.Marshal(map[string]any{
			"query":     `query Trail($n: String!) { auditTrail(nhsNumber: $n) { userId role organisation operation kind at breakGlass breakGlassReason } }`,
			"variables": map[string]any{"n": nhs},
		})
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		return doGraphQL(t, req)
	}
	if res := trail(issueToken(t, dataDir, "--role", "ict_clinician", "--locality", "leek")); len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("a clinician asked for the audit trail: %s %+v", res.Data, res.Errors)
	}

	// The entries are written in batches and projected asynchronously.
	var leekRead, glassRead *auditEntry
	eventually(t, 10*time.Second, "the trail to show both reads", func() (bool, string) {
		res := trail(adminToken)
		var data struct{ AuditTrail []auditEntry }
		if len(res.Errors) > 0 || json.Unmarshal(res.Data, &data) != nil {
			return false, fmt.Sprintf("%s %+v", res.Data, res.Errors)
		}
		leekRead, glassRead = nil, nil
		for i, e := range data.AuditTrail {
			switch {
			case e.UserID == "u-leek-sam" && e.Operation == "PatientReferrals":
				leekRead = &data.AuditTrail[i]
			case e.UserID == "u-tamworth-tam" && e.BreakGlass:
				glassRead = &data.AuditTrail[i]
			}
		}
		return leekRead != nil && glassRead != nil, string(res.Data)
	})
	if leekRead.Role != "ict_clinician" || leekRead.Kind != "READ" || leekRead.BreakGlass || leekRead.Organisation == nil || *leekRead.Organisation != "RRE" || leekRead.At == "" {
		t.Errorf("the Leek clinician's read: %+v", *leekRead)
	}
	if glassRead.Operation != "PatientReferrals" || glassRead.BreakGlassReason == nil || *glassRead.BreakGlassReason != reason {
		t.Errorf("the break-glass read: %+v", *glassRead)
	}

	if code := p.stop(15 * time.Second); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	log := p.stderr.String()
	if strings.Contains(log, nhs) {
		t.Error("the server log holds the patient's NHS number")
	}
	if strings.Contains(log, "collapsed at Tamworth") {
		t.Error("the server log holds the break-glass reason")
	}
}
