package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/auth"
)

// _entities hands caseload's fields of any Patient or Locality a router
// asks for to the field resolvers, which check reach in the app layer: a
// Leek clinician asking for a Tamworth patient's episodes gets nothing, and
// for Tamworth's caseload FORBIDDEN, never the data.
func TestFederated_entities_do_not_leak_another_localitys_episodes(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-fed", jean, "tamworth")
	schema, err := h.svc.Subgraph.Federated()
	if err != nil {
		t.Fatal(err)
	}
	const query = `query($r: [_Any!]!) { _entities(representations: $r) {
		... on Patient { caseloadEpisodes { id } caseloadTimeline { refId summary } }
		... on Locality { caseload { id } keyworkerCaseload { episodes } summary { caseloadSize } }
		... on LocalitySummary { caseloadSize caseloadAwaitingAllocation }
	} }`
	reps := []any{
		map[string]any{"__typename": "Patient", "nhsNumber": jean},
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
	if res, data := run(tamNurse); len(res.Errors) > 0 || !strings.Contains(data, id) {
		t.Fatalf("Tamworth clinician: %v %s", res.Errors, data)
	}

	res, data := run(leekNurse)
	t.Logf("Leek clinician: %s %v", data, res.Errors)
	if strings.Contains(data, id) {
		t.Fatalf("a Leek clinician saw a Tamworth episode through _entities: %s", data)
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
	if p := d.Entities[0]; p != nil && (len(p["caseloadEpisodes"].([]any)) != 0 || len(p["caseloadTimeline"].([]any)) != 0) {
		t.Fatalf("a Leek clinician saw a Tamworth patient's caseload: %v", p)
	}
	if l := d.Entities[1]; l != nil {
		t.Fatalf("a Leek clinician saw Tamworth's caseload: %v", l)
	}
}
