package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"carecoord/pkg/eventstore"
	"carecoord/services/falls/domain"
)

// schemaDir holds the published events' JSON Schemas, the contract between
// falls and the services that consume its events.
var schemaDir = filepath.Join("..", "..", "..", "schemas", "events", "falls")

func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	out := map[string]*jsonschema.Schema{}
	for _, name := range domain.Types.Names() {
		path := filepath.Join(schemaDir, name+".json")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("no JSON Schema for %s: %v", name, err)
			continue
		}
		s, err := c.Compile(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = s
	}
	files, _ := filepath.Glob(filepath.Join(schemaDir, "*.json"))
	if len(files) != len(domain.Types.Names()) {
		t.Errorf("%d schema files for %d event types: a schema without an event?", len(files), len(domain.Types.Names()))
	}
	return out
}

func validate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

// Every event type the service writes, from real commands, validates against
// its published schema.
func TestEventSchemas_real_payloads_validate(t *testing.T) {
	schemas := compileSchemas(t)
	h := newHarness(t)
	h.onShift("falls-14", "falls-11", "falls-12")

	a := h.report("s-1", map[string]any{"patient": map[string]any{"givenName": "Jean", "dateOfBirth": "1941-03-02", "postcode": "ST13 5BQ"}})
	h.step("linkFallPatient", "LinkFallPatientInput", map[string]any{"incidentId": a, "patient": map[string]any{"nhsNumber": "9434765919", "givenName": "Jean", "familyName": "Plant", "gpPractice": "Z10033"}})
	h.triage(a, "UNINJURED")
	h.dispatch(a, "falls-14")
	h.step("cancelFallDispatch", "CancelFallDispatchInput", map[string]any{"incidentId": a, "reason": "family lifted her"})
	h.dispatch(a, "falls-11")
	h.step("responderEnRoute", "ResponderEnRouteInput", map[string]any{"incidentId": a})
	h.step("escalateFallTo999", "EscalateFallTo999Input", map[string]any{"incidentId": a, "reason": "new chest pain", "ambulanceReference": "WM-1"})
	h.step("recordFallOutcome", "RecordFallOutcomeInput", map[string]any{"incidentId": a, "outcome": "STEP_UP_BED", "clinicalNeed": "unable to weight-bear"})
	h.step("closeFall", "CloseFallInput", map[string]any{"incidentId": a})

	b := h.report("s-2", map[string]any{"source": "FAMILY_CARER", "address": map[string]any{"text": "Flat 2"}})
	h.triage(b, "MINOR_INJURY")
	h.onShift("ucr-21")
	h.dispatch(b, "ucr-21")
	h.step("responderOnScene", "ResponderOnSceneInput", map[string]any{"incidentId": b, "liftedAt": t0.Format("2006-01-02T15:04:05Z")})
	h.step("recordFallOutcome", "RecordFallOutcomeInput", map[string]any{"incidentId": b, "outcome": "DECLINED"})

	c := h.report("s-3", nil)
	h.step("closeFall", "CloseFallInput", map[string]any{"incidentId": c, "reason": "NO_FALL"})
	// An assignment the incident refuses (written alone, as after a crash).
	data, _ := json.Marshal(domain.ResponderAssigned{ResponderID: "falls-12", AssignmentID: uuid.NewString(), IncidentID: c, CallSign: "FALLS 12", Level: domain.Level1, AssignedAt: t0, AssignedBy: dispatcher.Subject})
	if _, err := h.svc.Store.Append(context.Background(), "fallresponder-falls-12", eventstore.Exact(0), eventstore.EventData{ID: uuid.New(), Type: "falls.ResponderAssigned.v1", Data: data}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refused unit's release", func() bool { return h.streamLen("fallresponder-falls-12") == 3 })

	evs, err := h.svc.Store.ReadAll(context.Background(), eventstore.Start, eventstore.Forwards, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range evs {
		s, ok := schemas[e.Type]
		if !ok {
			t.Fatalf("event %s has no schema", e.Type)
		}
		if err := validate(t, s, e.Data); err != nil {
			t.Errorf("%s does not validate: %v\n%s", e.Type, err, e.Data)
		}
		seen[e.Type]++
	}
	var missing []string
	for _, name := range domain.Types.Names() {
		if seen[name] == 0 {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("the scenario wrote no %v: their schemas went untested", missing)
	}
}

// The outcome schema is strict: a payload off the contract fails it.
func TestEventSchemas_outcome_schema_rejects_payloads_off_the_contract(t *testing.T) {
	s := compileSchemas(t)["falls.FallOutcomeRecorded.v1"]
	good := `{"incidentId":"0b9e6c5e-6a43-5b4f-9a52-4a5c1d8a8f10","patient":{"nhsNumber":null,"nhsNumberVerification":"NOT_KNOWN","givenName":null,"familyName":null,"dateOfBirth":null,"postcode":null,"gpPractice":null},"locality":"leek","outcome":"DECLINED","referTo":[],"clinicalNeed":null,"recordedAt":"2026-11-23T09:00:00Z","recordedBy":"u1"}`
	if err := validate(t, s, []byte(good)); err != nil {
		t.Fatalf("a contract payload fails: %v", err)
	}
	for name, bad := range map[string]string{
		"extra field":   `"responderId":"falls-14",`,
		"local time":    `"recordedAt":"2026-11-23T09:00:00+01:00",`,
		"bad outcome":   `"outcome":"LIFTED",`,
		"nhs no digits": `"patient":{"nhsNumber":"943 476 5919","nhsNumberVerification":"VERIFIED","givenName":null,"familyName":null,"dateOfBirth":null,"postcode":null,"gpPractice":null},`,
	} {
		var m map[string]any
		_ = json.Unmarshal([]byte(good), &m)
		var patch map[string]any
		_ = json.Unmarshal([]byte("{"+bad[:len(bad)-1]+"}"), &patch)
		for k, v := range patch {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		if err := validate(t, s, b); err == nil {
			t.Errorf("%s: validated %s", name, b)
		}
	}
}
