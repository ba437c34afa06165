package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/auth"
	"carecoord/services/referrals/service"
)

// _entities hands the referrals fields of any Patient or Locality a router
// asks for to the field resolvers, which check reach in the app layer: a
// Leek clinician asking for a Tamworth patient's referrals gets nothing,
// and for Tamworth's queue FORBIDDEN, never the data.
func TestFederated_entities_do_not_leak_another_localitys_referrals(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	id := h.receive(tamworthClinician, referralInput("9434765919", time.Now().Add(-time.Hour), func(in map[string]any) {
		in["patient"].(map[string]any)["gpPractice"] = tamworthPractice
	}), "")
	schema, err := h.svc.Subgraph.Federated()
	if err != nil {
		t.Fatal(err)
	}
	const query = `query($r: [_Any!]!) { _entities(representations: $r) {
		... on Patient { name dateOfBirth locality { id } referrals { id } referralsTimeline { refId summary } }
		... on Locality { referrals { id } summary { referralsOpen } ucrPerformance { atRiskReferrals { id } } }
		... on LocalitySummary { referralsOpen ucrReferralsReceived }
	} }`
	reps := []any{
		map[string]any{"__typename": "Patient", "nhsNumber": "9434765919"},
		map[string]any{"__typename": "Locality", "id": "tamworth"},
		map[string]any{"__typename": "LocalitySummary", "localityId": "tamworth"},
	}
	run := func(v auth.Viewer) (*graphql.Result, string) {
		res := graphql.Do(graphql.Params{Schema: schema, RequestString: query, VariableValues: map[string]any{"r": reps},
			Context: auth.WithViewer(context.Background(), v)})
		b, err := json.Marshal(res.Data)
		if err != nil {
			t.Fatal(err)
		}
		return res, string(b)
	}

	// The query does reach the data: Tamworth's own clinician sees it.
	if res, data := run(tamworthClinician); len(res.Errors) > 0 || !strings.Contains(data, id) || !strings.Contains(data, "Jean") {
		t.Fatalf("Tamworth clinician: %v %s", res.Errors, data)
	}

	res, data := run(leekClinician)
	t.Logf("Leek clinician: %s %v", data, res.Errors)
	if strings.Contains(data, id) || strings.Contains(data, "Jean") || strings.Contains(data, "1941") {
		t.Fatalf("a Leek clinician saw a Tamworth patient's referral through _entities: %s", data)
	}
	for _, e := range res.Errors {
		if e.Extensions["code"] != "FORBIDDEN" {
			t.Errorf("error %v (%s), want none or FORBIDDEN", e.Extensions["code"], e.Message)
		}
	}
	var d struct {
		Entities []map[string]any `json:"_entities"`
	}
	if err := json.Unmarshal([]byte(data), &d); err != nil || len(d.Entities) != 3 {
		t.Fatalf("%v %s", err, data)
	}
	if p := d.Entities[0]; p != nil && (len(list(p, "referrals")) != 0 || len(list(p, "referralsTimeline")) != 0 || p["locality"] != nil) {
		t.Fatalf("a Leek clinician saw a Tamworth patient's referrals: %v", p)
	}
	if l := d.Entities[1]; l != nil {
		t.Fatalf("a Leek clinician saw Tamworth's referrals: %v", l)
	}
}
