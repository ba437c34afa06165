package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/auth"
	"carecoord/services/beds/service"
)

// _entities hands the beds fields of any Patient or Locality a router asks
// for to the field resolvers, which check reach in the app layer: a Leek
// clinician asking for a Tamworth patient's stays gets nothing (or
// FORBIDDEN), never the data.
func TestFederated_entities_do_not_leak_another_localitys_stays(t *testing.T) {
	c, _ := newService(t, service.TestOptions{})
	p := people(1, "tamworth")[0]
	req := c.raiseAccepted(p)
	res := c.allocate(bedManager, req, "sir-robert-peel-w1-01", "")
	stay := str(res.Data, "allocateBed", "id")
	if stay == "" {
		t.Fatalf("allocate: %+v", res.Errors)
	}
	schema, err := c.svc.Subgraph.Federated()
	if err != nil {
		t.Fatal(err)
	}
	const query = `query($r: [_Any!]!) { _entities(representations: $r) {
		... on Patient { bedStays { id } bedRequests { id } bedsTimeline { refId summary } }
		... on Locality { patientsInBeds { id } summary { bedsOccupied } }
		... on LocalitySummary { bedsOccupied bedRequestsPending }
	} }`
	reps := []any{
		map[string]any{"__typename": "Patient", "nhsNumber": p.NHSNumber.String()},
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

	// The query does reach the data: Tamworth's own clinician sees the stay.
	if res, data := run(ictTamw); len(res.Errors) > 0 || !strings.Contains(data, stay) || !strings.Contains(data, req) {
		t.Fatalf("Tamworth clinician: %v %s", res.Errors, data)
	}

	gres, data := run(ictLeek)
	t.Logf("Leek clinician: %s %v", data, gres.Errors)
	if strings.Contains(data, stay) || strings.Contains(data, req) {
		t.Fatalf("a Leek clinician saw a Tamworth patient's bed stay through _entities: %s", data)
	}
	for _, e := range gres.Errors {
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
	if e := d.Entities[0]; e != nil {
		for _, f := range []string{"bedStays", "bedRequests", "bedsTimeline"} {
			if l, _ := e[f].([]any); len(l) != 0 {
				t.Fatalf("a Leek clinician saw a Tamworth patient's %s: %v", f, e)
			}
		}
	}
	if l := d.Entities[1]; l != nil {
		if in, _ := l["patientsInBeds"].([]any); len(in) != 0 {
			t.Fatalf("a Leek clinician saw Tamworth's patients in beds: %v", l)
		}
	}
}
