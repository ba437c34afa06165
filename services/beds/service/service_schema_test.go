package service_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"carecoord/services/beds/service"
)

// schemaDir holds the published events' JSON Schemas: the contract with the
// services that consume them.
var schemaDir = filepath.Join("..", "..", "..", "schemas", "events", "beds")

func compileSchema(t *testing.T, eventType string) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(schemaDir, eventType+".json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(s *jsonschema.Schema, payload []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// The published events, as the service really writes them, match their
// schemas, with and without the optional parts of the patient block and of
// the follow-up.
func TestPublished_events_match_their_JSON_Schemas(t *testing.T) {
	c, store := newService(t, service.TestOptions{})
	ps := people(2, "lichfield")
	// One patient with every detail; one with only what a bed needs.
	full := c.raiseAccepted(ps[0])
	d := c.ok(bedManager, raiseMutation, map[string]any{"input": map[string]any{
		"type": "STEP_DOWN", "source": "ACUTE", "priority": "HIGH", "clinicalNeed": "Rehabilitation", "locality": "lichfield",
		"patient": map[string]any{"nhsNumber": ps[1].NHSNumber.String(), "givenName": ps[1].GivenName, "familyName": ps[1].FamilyName},
	}})
	minimal := str(d, "raiseBedRequest", "id")
	c.ok(bedManager, `mutation($id: ID!) { decideBedRequest(input: {bedRequestId: $id, decision: ACCEPT}) { id } }`, map[string]any{"id": minimal})
	for i, req := range []string{full, minimal} {
		res := c.allocate(bedManager, req, []string{"samuel-johnson-w1-01", "samuel-johnson-w1-02"}[i], "")
		stay := str(res.Data, "allocateBed", "id")
		c.ok(bedManager, `mutation($id: ID!) { admitPatient(input: {stayId: $id}) { id } }`, map[string]any{"id": stay})
		follow := map[string]any{"ictReferral": i == 0, "reason": []any{"Review at home", nil}[i]}
		c.ok(bedManager, `mutation($id: ID!, $f: DischargeFollowUpInput!) { dischargePatient(input: {stayId: $id, pathway: P2, destination: "Rehabilitation bed", followUp: $f}) { id } }`,
			map[string]any{"id": stay, "f": follow})
	}

	for _, typ := range []string{"beds.PatientAdmitted.v1", "beds.PatientDischarged.v1"} {
		schema := compileSchema(t, typ)
		evs := events(t, store, typ)
		if len(evs) != 2 {
			t.Fatalf("%d %s events, want 2", len(evs), typ)
		}
		for _, e := range evs {
			if err := validate(schema, e.Data); err != nil {
				t.Errorf("%s does not match its schema: %v\n%s", typ, err, e.Data)
			}
		}
		// The schema is strict enough to notice a broken payload.
		broken := bytes.Replace(evs[0].Data, []byte(`"stayId"`), []byte(`"stay"`), 1)
		if err := validate(schema, broken); err == nil {
			t.Errorf("%s schema accepted a payload without stayId", typ)
		}
	}
}
