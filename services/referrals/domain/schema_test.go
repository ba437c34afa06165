package domain_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/nhsnumber"
	"carecoord/pkg/postcode"
	"carecoord/services/referrals/domain"
)

// schemaDir holds the published contracts: schemas/events/referrals.
var schemaDir = filepath.Join("..", "..", "..", "schemas", "events", "referrals")

func compile(t *testing.T, typ string) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(schemaDir, typ+".json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no schema for %s: %v", typ, err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

func validate(t *testing.T, e aggregate.Event) error {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return compile(t, e.EventType()).Validate(inst)
}

// realEvents are events as the aggregate raises them, along two paths
// through the workflow, with full and with sparse data.
func realEvents(t *testing.T) []aggregate.Event {
	t.Helper()
	var out []aggregate.Event
	run := func(r *domain.Referral) func([]aggregate.Event, error) {
		return func(evs []aggregate.Event, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				r.Apply(e)
			}
			out = append(out, evs...)
		}
	}
	full := domain.NewState("5d1c1f0e-8a0b-4c55-9d2e-3b7f0f6f2a11")
	run(full)(full.Receive(newReferral()))
	run(full)(full.Triage(domain.TriageDecision{Outcome: domain.TriageRequestInformation, Information: ptr("current medication"), RequestedFrom: ptr("GP practice")}, step(5)))
	run(full)(full.RecordInformationReceived(step(30)))
	run(full)(full.Triage(domain.TriageDecision{Outcome: domain.TriageAccept}, step(35)))
	run(full)(full.RecordPatientChoice(ptr(t0.Add(6*time.Hour)), step(36)))
	run(full)(full.Allocate(domain.Allocation{Team: "Leek UCR", ClinicianID: "u-nurse", ClinicianName: ptr("Sam Hall")}, step(40)))
	run(full)(full.RecordFirstContact(step(100)))
	run(full)(full.Close(domain.ClosureEnteredInError, "recorded against the wrong patient", step(200)))

	// A self-referral with no NHS number yet, nothing optional given.
	sparse := func(id string) *domain.Referral {
		r := domain.NewState(id)
		n := newReferral()
		n.Patient.NHSNumber, n.Patient.Verification = nhsnumber.Number{}, nhsnumber.TraceRequired
		n.Patient.DateOfBirth, n.Patient.GPPractice = time.Time{}, ""
		n.Patient.Postcode = postcode.Postcode{}
		n.Referrer = domain.Referrer{Name: ptr("Jean's daughter"), Source: domain.SourceSelfOrCarer}
		n.UCR, n.Priority, n.RiskFlags = false, domain.PriorityRoutine, nil
		run(r)(r.Receive(n))
		return r
	}
	a := sparse("0b8f8a52-4a59-4c1d-a7a4-7f6b0f3c2d01")
	run(a)(a.Triage(domain.TriageDecision{Outcome: domain.TriageRedirect, Service: ptr("Community Mental Health Team")}, step(5)))
	b := sparse("0b8f8a52-4a59-4c1d-a7a4-7f6b0f3c2d02")
	run(b)(b.Triage(domain.TriageDecision{Outcome: domain.TriageReject, Reason: ptr("needs are met by the current care package")}, step(5)))
	c := sparse("0b8f8a52-4a59-4c1d-a7a4-7f6b0f3c2d03")
	run(c)(c.Close(domain.ClosureWithdrawn, "patient declined", step(5)))
	d := sparse("0b8f8a52-4a59-4c1d-a7a4-7f6b0f3c2d04")
	run(d)(d.Triage(domain.TriageDecision{Outcome: domain.TriageAccept}, step(5)))
	run(d)(d.Close(domain.ClosureCancelled, "patient moved out of area", step(6)))
	return out
}

func TestPublishedEvents_match_their_JSON_schemas(t *testing.T) {
	covered := map[string]bool{}
	for _, e := range realEvents(t) {
		if err := validate(t, e); err != nil {
			b, _ := json.Marshal(e)
			t.Errorf("%s does not match its schema: %v\n%s", e.EventType(), err, b)
		}
		covered[e.EventType()] = true
	}
	for _, e := range domain.Examples() {
		if !covered[e.EventType()] {
			t.Errorf("no real payload of %s was validated", e.EventType())
		}
	}
}

func TestPublishedEvents_have_a_schema_each_and_no_stray_schemas(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(schemaDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	want := domain.Types.Names()
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("schemas %v\nevents  %v", names, want)
	}
}

func TestSchemas_refuse_a_payload_that_breaks_the_contract(t *testing.T) {
	e := accepted(t)
	e.Priority = "SOON"
	if validate(t, e) == nil {
		t.Fatal("an unknown priority passed")
	}
	var m map[string]any
	if err := json.Unmarshal(mustMarshal(t, accepted(t)), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "acceptedBy")
	if compile(t, "referrals.ReferralAccepted.v1").Validate(m) == nil {
		t.Fatal("a payload without acceptedBy passed")
	}
	m["acceptedBy"], m["acceptedAt"] = "u-1", "yesterday"
	if compile(t, "referrals.ReferralAccepted.v1").Validate(m) == nil {
		t.Fatal("a time that is not RFC 3339 passed")
	}
	r := received(t)
	r.Patient.NHSNumber = ptr("943 476 5919")
	if validate(t, r) == nil {
		t.Fatal("a formatted NHS number passed")
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
