package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/nhsnumber"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/service"
)

// schemaDir holds the JSON Schemas of the service's events, one per type
// (<type>.json): for the published ones (PatientAdmitted, PatientDischarged)
// the contract with the services that consume them.
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

// schemaFiles lists the event types that have a schema file.
func schemaFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(schemaDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = strings.TrimSuffix(filepath.Base(f), ".json")
	}
	sort.Strings(out)
	return out
}

// schemaDoc reads a schema file as plain JSON, for what the validator does
// not expose (its required fields, its title).
func schemaDoc(t *testing.T, eventType string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(schemaDir, eventType+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", eventType, err)
	}
	return doc
}

// without is what of a is not in b.
func without(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// Every event type the service registers has a schema, and every schema
// file is for a registered type: no type goes undescribed, no schema is
// orphaned by a rename.
func TestEventSchemas_every_registered_type_has_a_schema_and_every_schema_a_type(t *testing.T) {
	registered := domain.Types.Names()
	sort.Strings(registered)
	files := schemaFiles(t)
	if noSchema := without(registered, files); len(noSchema) > 0 {
		t.Errorf("registered types without a schema file: %v", noSchema)
	}
	if orphans := without(files, registered); len(orphans) > 0 {
		t.Errorf("schema files for no registered type: %v", orphans)
	}
	var listed []string
	for _, e := range domain.Events() {
		listed = append(listed, e.EventType())
	}
	sort.Strings(listed)
	if strings.Join(listed, " ") != strings.Join(registered, " ") {
		t.Fatalf("domain.Events() %v\ndomain.Types %v", listed, registered)
	}
	for _, typ := range files {
		compileSchema(t, typ)
		doc := schemaDoc(t, typ)
		if doc["title"] != typ || doc["$id"] != "https://carecoord.example/schemas/events/beds/"+typ+".json" {
			t.Errorf("%s: title %v, $id %v do not name the type", typ, doc["title"], doc["$id"])
		}
	}
}

// startTransferAndDie is the first step of a transfer, written as a command
// killed right after it would leave the log: the patient's placement claims
// the new bed at its current revision, and nothing else happens.
func (c crashed) startTransferAndDie(commandID, stayID string, nhs nhsnumber.Number, toBedID string, at time.Time) {
	c.t.Helper()
	ctx := context.Background()
	bed, _, err := c.beds.Load(ctx, toBedID)
	if err != nil {
		c.t.Fatal(err)
	}
	to, err := hospitals.Default().Locate("toBedId", toBedID)
	if err != nil {
		c.t.Fatal(err)
	}
	_, err = c.placements.Execute(ctx, domain.PatientKey(nhs), aggregate.Command{ID: commandID + "/claim"}, func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
		return p.StartTransfer(stayID, to, domain.TransferIsolation, bed.Version(), at, at)
	})
	if err != nil {
		c.t.Fatal(err)
	}
}

// Every event type the service writes, as real commands write it, matches
// its schema, and the run writes every registered type. The commands are
// the GraphQL mutations; the two steps only a crash leaves behind (a claim
// whose command died) are written through the domain as that command would
// have, then settled by the real commands.
func TestEventSchemas_real_payloads_of_every_event_type_match_their_schemas(t *testing.T) {
	clock := newClock()
	c, store := newService(t, service.TestOptions{Now: clock.Now, ClaimGrace: 30 * time.Second})
	sim := newCrashed(t, store)
	ps := people(5, "lichfield")
	later := func(d time.Duration) string { clock.Add(d); return clock.Now().Format(time.RFC3339) }
	admit := func(stay string) {
		t.Helper()
		c.ok(bedManager, `mutation($id: ID!) { admitPatient(input: {stayId: $id}) { id } }`, map[string]any{"id": stay})
	}
	clean := func(bed string) {
		t.Helper()
		c.ok(bedManager, `mutation($b: ID!) { markBedClean(input: {bedId: $b}) { status } }`, map[string]any{"b": bed})
	}
	closeBed := func(bed, status, reason string, note any) {
		t.Helper()
		c.ok(bedManager, `mutation($b: ID!, $s: BedClosureStatus, $r: BedClosureReason!, $n: String) { closeBed(input: {bedId: $b, status: $s, reason: $r, note: $n}) { status } }`,
			map[string]any{"b": bed, "s": status, "r": reason, "n": note})
	}
	reopen := func(bed string) {
		t.Helper()
		c.ok(bedManager, `mutation($b: ID!) { reopenBed(input: {bedId: $b}) { status } }`, map[string]any{"b": bed})
	}

	// A patient with every detail, who wants a Lichfield bed: allocated,
	// admitted, moved to another ward, medically optimised, discharged home
	// with an ICT referral; housekeeping cleans both beds.
	d := c.ok(bedManager, raiseMutation, map[string]any{"input": map[string]any{
		"type": "STEP_UP", "source": "ICT", "priority": "URGENT", "clinicalNeed": "Frailty decompensation; carer unable to cope",
		"patient": patientVars(ps[0]), "preferredHospitalId": "samuel-johnson",
	}})
	full := str(d, "raiseBedRequest", "id")
	c.ok(bedManager, `mutation($id: ID!) { decideBedRequest(input: {bedRequestId: $id, decision: ACCEPT}) { id } }`, map[string]any{"id": full})
	res := c.allocate(bedManager, full, "samuel-johnson-w1-01", "")
	if len(res.Errors) > 0 {
		t.Fatalf("allocate: %+v", res.Errors)
	}
	stay := str(res.Data, "allocateBed", "id")
	clock.Add(2 * time.Hour)
	admit(stay)
	clock.Add(24 * time.Hour)
	c.ok(bedManager, `mutation($id: ID!) { transferPatient(input: {stayId: $id, toBedId: "samuel-johnson-w2-01", reason: CLINICAL_NEED}) { id } }`, map[string]any{"id": stay})
	since := later(48 * time.Hour)
	clock.Add(26 * time.Hour)
	c.ok(bedManager, `mutation($id: ID!, $since: String) { recordNoCriteriaToReside(input: {stayId: $id, delayReason: AWAITING_HOME_CARE_PACKAGE, since: $since}) { id } }`,
		map[string]any{"id": stay, "since": since})
	clock.Add(24 * time.Hour)
	c.ok(bedManager, `mutation($id: ID!) { dischargePatient(input: {stayId: $id, pathway: P1, destination: "Home with reablement package",
		followUp: {ictReferral: true, reason: "Falls prevention and medication review"}}) { id } }`, map[string]any{"id": stay})
	clock.Add(90 * time.Minute)
	clean("samuel-johnson-w1-01")
	clean("samuel-johnson-w2-01")

	// A step-down patient with only what a bed needs. While admitted, a
	// transfer's command dies after claiming its new bed; the next transfer,
	// past the grace period, fences the dead claim off on that bed, ends it,
	// and moves the patient. Discharged with no follow-up.
	d = c.ok(bedManager, raiseMutation, map[string]any{"input": map[string]any{
		"type": "STEP_DOWN", "source": "ACUTE", "priority": "HIGH", "clinicalNeed": "Rehabilitation after hip fracture", "locality": "lichfield",
		"patient": map[string]any{"nhsNumber": ps[1].NHSNumber.String(), "givenName": ps[1].GivenName, "familyName": ps[1].FamilyName},
	}})
	minimal := str(d, "raiseBedRequest", "id")
	c.ok(bedManager, `mutation($id: ID!) { decideBedRequest(input: {bedRequestId: $id, decision: ACCEPT}) { id } }`, map[string]any{"id": minimal})
	res = c.allocate(bedManager, minimal, "samuel-johnson-w1-03", "")
	if len(res.Errors) > 0 {
		t.Fatalf("allocate: %+v", res.Errors)
	}
	stay = str(res.Data, "allocateBed", "id")
	admit(stay)
	clock.Add(time.Hour)
	sim.startTransferAndDie("dead-transfer", stay, ps[1].NHSNumber, "samuel-johnson-w1-04", clock.Now())
	clock.Add(31 * time.Second)
	c.ok(bedManager, `mutation($id: ID!) { transferPatient(input: {stayId: $id, toBedId: "samuel-johnson-w1-05", reason: ISOLATION}) { id } }`, map[string]any{"id": stay})
	clock.Add(6 * time.Hour)
	c.ok(bedManager, `mutation($id: ID!) { dischargePatient(input: {stayId: $id, pathway: P2, destination: "Rehabilitation bed",
		followUp: {ictReferral: false}}) { id } }`, map[string]any{"id": stay})

	// A falls dispatcher's request for a patient the falls response found,
	// declined: the need was met at home.
	d = c.ok(dispatcher, raiseMutation, map[string]any{"input": map[string]any{
		"type": "STEP_UP", "source": "FALLS", "priority": "URGENT", "clinicalNeed": "Unable to weight-bear after fall; lives alone", "locality": "lichfield",
		"sourceRef": "2f0c7a8e-6a43-4b7e-9f54-2d1c9f1e7a10",
		"patient":   map[string]any{"nhsNumber": ps[2].NHSNumber.String(), "nhsNumberVerification": "TRACE_REQUIRED", "givenName": ps[2].GivenName, "familyName": ps[2].FamilyName},
	}})
	c.ok(bedManager, `mutation($id: ID!) { decideBedRequest(input: {bedRequestId: $id, decision: DECLINE, reason: "Need met at home with a care package"}) { id } }`,
		map[string]any{"id": str(d, "raiseBedRequest", "id")})

	// An allocation cancelled before the patient arrived: the bed is
	// released, the stay ends, the request waits again.
	res = c.allocate(bedManager, c.raiseAccepted(ps[3]), "samuel-johnson-w1-06", "")
	if len(res.Errors) > 0 {
		t.Fatalf("allocate: %+v", res.Errors)
	}
	c.ok(bedManager, `mutation($id: ID!) { cancelBedAllocation(input: {stayId: $id, reason: "Conveyed to ED instead"}) { id } }`,
		map[string]any{"id": str(res.Data, "allocateBed", "id")})

	// An allocation whose command died after claiming its bed, fenced off
	// and ended by the patient's next allocation.
	first, second := c.raiseAccepted(ps[4]), c.raiseAccepted(ps[4])
	sim.claim("dead-allocation", first, "samuel-johnson-w1-07", clock.Now())
	clock.Add(31 * time.Second)
	if res := c.allocate(bedManager, second, "samuel-johnson-w1-08", ""); len(res.Errors) > 0 {
		t.Fatalf("allocation past a dead claim: %+v", res.Errors)
	}

	// Beds taken out of use and back: closed and reopened; contaminated
	// and deep-cleaned; the bed the step-down patient left isolated before
	// its clean, so it reopens awaiting it.
	closeBed("samuel-johnson-w1-09", "CLOSED", "STAFFING", nil)
	clock.Add(12 * time.Hour)
	reopen("samuel-johnson-w1-09")
	closeBed("samuel-johnson-w1-10", "CONTAMINATED", "INFECTION_CONTROL", "Norovirus: deep clean")
	clock.Add(4 * time.Hour)
	clean("samuel-johnson-w1-10")
	closeBed("samuel-johnson-w1-03", "ISOLATED", "EQUIPMENT", nil)
	clock.Add(time.Hour)
	reopen("samuel-johnson-w1-03")
	clean("samuel-johnson-w1-03")
	checkInvariants(t, store)

	// Every event the run wrote matches its type's schema.
	evs, err := store.ReadAll(context.Background(), eventstore.Start, eventstore.Forwards, 0)
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*jsonschema.Schema{}
	for _, typ := range domain.Types.Names() {
		schemas[typ] = compileSchema(t, typ)
	}
	seen := map[string][]byte{}
	for _, e := range evs {
		if !strings.HasPrefix(e.Type, "beds.") {
			continue
		}
		s, ok := schemas[e.Type]
		if !ok {
			t.Fatalf("the service wrote %s, which is not a registered type", e.Type)
		}
		if err := validate(s, e.Data); err != nil {
			t.Errorf("%s does not match its schema: %v\n%s", e.Type, err, e.Data)
		}
		if seen[e.Type] == nil {
			seen[e.Type] = e.Data
		}
	}
	var missing []string
	for typ := range schemas {
		if seen[typ] == nil {
			missing = append(missing, typ)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("the run wrote no %v: their schemas went untested", missing)
	}

	// Each schema is strict enough to notice a broken payload: one missing
	// a required field, or carrying a field the event does not have.
	for typ, data := range seen {
		required, _ := schemaDoc(t, typ)["required"].([]any)
		if len(required) == 0 {
			t.Errorf("%s schema requires nothing", typ)
		}
		for _, f := range required {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			delete(m, f.(string))
			if b, _ := json.Marshal(m); validate(schemas[typ], b) == nil {
				t.Errorf("%s schema accepted a payload without %s", typ, f)
			}
		}
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		m["unexpected"] = true
		if b, _ := json.Marshal(m); validate(schemas[typ], b) == nil {
			t.Errorf("%s schema accepted a payload with an unknown field", typ)
		}
	}
}
