package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/auth"
)

// _entities hands the falls fields of any Patient or Locality a router asks
// for to the field resolvers, which check reach in the app layer: a Leek
// clinician asking for a Tamworth patient's falls gets nothing, and for
// Tamworth's falls FORBIDDEN, never the data.
func TestFederated_entities_do_not_leak_another_localitys_falls(t *testing.T) {
	h := newHarness(t)
	id := h.report("f-1", map[string]any{"localityId": "tamworth", "patient": map[string]any{"nhsNumber": "9434765919"}})
	schema, err := h.svc.Subgraph.Federated()
	if err != nil {
		t.Fatal(err)
	}
	const query = `query($r: [_Any!]!) { _entities(representations: $r) {
		... on Patient { falls { id } fallsTimeline { refId summary } }
		... on Locality { openFalls { id } summary { openFalls fallsLast30Days } }
		... on LocalitySummary { open: openFalls fallsLast30Days }
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

	// The query does reach the data: an admin sees the fall.
	if res, data := run(auth.Viewer{Subject: "u-admin", Role: auth.Admin}); len(res.Errors) > 0 || !strings.Contains(data, id) {
		t.Fatalf("admin: %v %s", res.Errors, data)
	}

	res, data := run(leekClinician)
	t.Logf("Leek clinician: %s %v", data, res.Errors)
	if strings.Contains(data, id) {
		t.Fatalf("a Leek clinician saw a Tamworth fall through _entities: %s", data)
	}
	for _, e := range res.Errors {
		if e.Extensions["code"] != "FORBIDDEN" {
			t.Errorf("error %v (%s), want none or FORBIDDEN", e.Extensions["code"], e.Message)
		}
	}
	d := roundTrip(t, res.Data)
	if p := get(d, "_entities.0"); p != nil && (len(get(p, "falls").([]any)) != 0 || len(get(p, "fallsTimeline").([]any)) != 0) {
		t.Fatalf("a Leek clinician saw a Tamworth patient's falls: %v", p)
	}
	if l := get(d, "_entities.1"); l != nil {
		t.Fatalf("a Leek clinician saw Tamworth's falls: %v", l)
	}
}
