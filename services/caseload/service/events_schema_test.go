package service_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"carecoord/pkg/eventstore"
	"carecoord/services/caseload/app"
	"carecoord/services/caseload/domain"
)

// schemaDir is schemas/events at the root of the repository.
var schemaDir = filepath.Join("..", "..", "..", "schemas", "events")

func compileSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(abs)
	if err != nil {
		t.Fatalf("compile %s: %v", file, err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, what string, data []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Errorf("%s does not match its schema: %v\npayload: %s", what, err, data)
	}
}

func TestEvents_every_published_type_has_a_schema_and_no_schema_is_orphaned(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(schemaDir, "caseload", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var have, want []string
	for _, f := range files {
		have = append(have, strings.TrimSuffix(filepath.Base(f), ".json"))
		compileSchema(t, f)
	}
	for _, e := range domain.Events {
		want = append(want, e.EventType())
	}
	sort.Strings(have)
	sort.Strings(want)
	if strings.Join(have, " ") != strings.Join(want, " ") {
		t.Fatalf("schema files %v\nevent types  %v", have, want)
	}
}

// Every event a real run of the service writes matches its schema, and the
// run writes every type.
func TestEvents_real_payloads_match_their_schemas(t *testing.T) {
	h := newHarness(t)
	a := h.openEpisode("ref-schema-a", jean, "leek")
	h.activate(a, "2026-04-01")
	vs := h.ok(leekNurse, scheduleVisit, in("episodeId", a, "plannedAt", "2026-03-02T10:00:00Z", "purpose", "WOUND_CARE",
		"recurrence", map[string]any{"frequency": "WEEKLY", "occurrences": 4}))["scheduleVisit"].([]any)
	vid := func(i int) any { return vs[i].(map[string]any)["id"] }
	h.clock.Set(start.Add(4 * time.Hour))
	h.ok(leekNurse, recordOutcome, in("episodeId", a, "visitId", vid(0), "outcome", "COMPLETED"))
	h.ok(leekNurse, recordOutcome, in("episodeId", a, "visitId", vid(1), "outcome", "CANCELLED", "cancellationReason", "PATIENT_REQUEST"))
	h.ok(leekLead, reassignVisits, in("episodeId", a, "visitIds", []any{vid(2)}, "clinicianId", "clin-leek-2", "clinicianName", "Bob Stone"))
	h.ok(leekNurse, assignKeyworker, in("episodeId", a, "keyworkerId", "clin-leek-2", "keyworkerName", "Bob Stone"))
	h.ok(leekNurse, startReview, in("episodeId", a, "reason", "REVIEW_DUE"))
	h.ok(leekNurse, recordMdt, in("episodeId", a, "discussedAt", start.Add(3*time.Hour).Format(time.RFC3339), "concludesReview", true,
		"attendees", []any{map[string]any{"role": "GP", "name": "Dr Patel"}, map[string]any{"role": "DISTRICT_NURSE"}},
		"actions", []any{map[string]any{"description": "Refer to falls prevention", "ownerRole": "PHYSIOTHERAPIST", "ownerName": "Sam", "dueDate": "2026-03-09"}}))
	h.ok(leekNurse, suspendEpisode, in("episodeId", a, "reason", "ADMITTED_ACUTE_HOSPITAL"))
	h.ok(leekNurse, resumeEpisode, in("episodeId", a))
	h.ok(leekNurse, transferEpisode, in("episodeId", a, "toLocalityId", "biddulph"))
	eventually(t, "the Biddulph episode", func() bool { _, ok := h.svc.ReadModel.Episode(app.EpisodeIDForTransfer(a), start); return ok })

	b := h.openEpisode("ref-schema-b", "9990000018", "leek")
	h.allocate(b)
	h.ok(leekNurse, discharge, in("episodeId", b, "outcome", "NO_FURTHER_NEEDS"))
	c := h.openEpisode("ref-schema-c", "9990000026", "leek")
	h.ok(leekNurse, transferEpisode, in("episodeId", c, "toService", "Hospice at home"))
	d := h.openEpisode("ref-schema-d", "9990000034", "leek")
	h.ok(leekNurse, recordDeath, in("episodeId", d, "dateOfDeath", "2026-03-02"))

	schemas := map[string]*jsonschema.Schema{}
	for _, e := range domain.Events {
		schemas[e.EventType()] = compileSchema(t, filepath.Join(schemaDir, "caseload", e.EventType()+".json"))
	}
	evs, err := h.svc.Store.ReadAll(context.Background(), eventstore.Start, eventstore.Forwards, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, ev := range evs {
		if !strings.HasPrefix(ev.Type, "caseload.") {
			continue
		}
		s, ok := schemas[ev.Type]
		if !ok {
			t.Fatalf("the service wrote %s, which has no schema", ev.Type)
		}
		validate(t, s, ev.Type, ev.Data)
		seen[ev.Type]++
	}
	for ty := range schemas {
		if seen[ty] == 0 {
			t.Errorf("the run wrote no %s: the test does not cover it", ty)
		}
	}
}

// The producers' events this service is tested with match the producers'
// schemas: a consumer-side check of the contract.
func TestEvents_consumed_test_payloads_match_the_producers_schemas(t *testing.T) {
	stay, at := "0b7e3c52-9c1d-4f7e-8a51-3f1f1f7d2a10", start
	for file, data := range map[string][]byte{
		"referrals/referrals.ReferralAccepted.v1.json": referralAccepted("3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f", jean, "leek", at),
		"beds/beds.PatientAdmitted.v1.json":            admitted(stay, jean, at),
		"beds/beds.PatientDischarged.v1.json":          dischargedFromBed(stay, jean, at),
	} {
		path := filepath.Join(schemaDir, file)
		if _, err := os.Stat(path); err != nil {
			t.Logf("no producer schema %s yet: skipped", file)
			continue
		}
		validate(t, compileSchema(t, path), file, data)
	}
}
