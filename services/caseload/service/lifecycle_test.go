package service_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"carecoord/pkg/eventstore"
	"carecoord/services/caseload/domain"
)

const episodeFields = `id status version localityId nhsNumber keyworker { id name } team
	carePlan { version goals nextReviewDate } reviewOverdue
	visits { id status clinician { id } plannedAt cancellationReason due overdue }
	mdtDiscussions { attendees { role } actions { description ownerRole dueDate } concludedReview }
	review { reason } suspension { reason stayId resumeTo } dischargeOutcome closedAt
	history { type summary actor }`

const (
	assignKeyworker = `mutation($in: AssignKeyworkerInput!, $cmd: String) { assignKeyworker(input: $in, commandId: $cmd) { ` + episodeFields + ` } }`
	updateCarePlan  = `mutation($in: UpdateCarePlanInput!, $cmd: String) { updateCarePlan(input: $in, commandId: $cmd) { ` + episodeFields + ` } }`
	scheduleVisit   = `mutation($in: ScheduleVisitInput!, $cmd: String) { scheduleVisit(input: $in, commandId: $cmd) { id plannedAt seriesId status clinician { id } episode { id version } } }`
	recordOutcome   = `mutation($in: RecordVisitOutcomeInput!, $cmd: String) { recordVisitOutcome(input: $in, commandId: $cmd) { id status outcomeAt cancellationReason episode { status } } }`
	reassignVisits  = `mutation($in: ReassignVisitsInput!) { reassignVisits(input: $in) { id clinician { id name } } }`
	startReview     = `mutation($in: StartReviewInput!) { startReview(input: $in) { status review { reason } } }`
	recordMdt       = `mutation($in: RecordMdtDiscussionInput!) { recordMdtDiscussion(input: $in) { ` + episodeFields + ` } }`
	suspendEpisode  = `mutation($in: SuspendEpisodeInput!) { suspendEpisode(input: $in) { ` + episodeFields + ` } }`
	resumeEpisode   = `mutation($in: ResumeEpisodeInput!) { resumeEpisode(input: $in) { ` + episodeFields + ` } }`
	transferEpisode = `mutation($in: TransferEpisodeInput!) { transferEpisode(input: $in) { ` + episodeFields + ` transferredToLocalityId } }`
	discharge       = `mutation($in: DischargeFromCaseloadInput!, $cmd: String) { dischargeFromCaseload(input: $in, commandId: $cmd) { ` + episodeFields + ` } }`
	recordDeath     = `mutation($in: RecordDeathInput!, $cmd: String) { recordDeath(input: $in, commandId: $cmd) { ` + episodeFields + ` dateOfDeath } }`
	episodeQuery    = `query($id: ID!) { caseloadEpisode(id: $id) { ` + episodeFields + ` } }`
)

func in(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return map[string]any{"in": m}
}

func (h *harness) allocate(id string) map[string]any {
	h.t.Helper()
	return h.ok(leekNurse, assignKeyworker, in("episodeId", id, "keyworkerId", "clin-leek-1", "keyworkerName", "Alice Hill"))["assignKeyworker"].(map[string]any)
}

func (h *harness) activate(id string, review string) map[string]any {
	h.t.Helper()
	h.allocate(id)
	return h.ok(leekNurse, updateCarePlan, in("episodeId", id, "goals", []any{"Walk to the post office", "Manage own medicines"}, "nextReviewDate", review))["updateCarePlan"].(map[string]any)
}

func historyTypes(ep map[string]any) []string {
	var out []string
	for _, e := range ep["history"].([]any) {
		out = append(out, e.(map[string]any)["type"].(string))
	}
	return out
}

func streamLen(t *testing.T, s eventstore.Store, stream string) int {
	t.Helper()
	evs, err := s.ReadStream(context.Background(), stream, 0, eventstore.Forwards, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func TestEpisode_lifecycle_from_referral_to_discharge(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-lifecycle", jean, "leek")

	ep := h.allocate(id)
	if ep["status"] != "ALLOCATED" || path(ep, "keyworker", "id") != "clin-leek-1" || ep["team"] != "Leek Integrated Care Team" {
		t.Fatalf("after allocation: %v", ep)
	}
	ep = h.ok(leekNurse, updateCarePlan, in("episodeId", id, "goals", []any{"Walk to the post office"}, "nextReviewDate", "2026-03-30"))["updateCarePlan"].(map[string]any)
	if ep["status"] != "ACTIVE" || path(ep, "carePlan", "version") != 1.0 {
		t.Fatalf("after the first care plan: %v", ep)
	}

	// Weekly wound care for three weeks, from tomorrow 10:00.
	vs := h.ok(leekNurse, scheduleVisit, in("episodeId", id, "plannedAt", "2026-03-03T10:00:00Z", "purpose", "WOUND_CARE",
		"recurrence", map[string]any{"frequency": "WEEKLY", "occurrences": 3}))["scheduleVisit"].([]any)
	if len(vs) != 3 {
		t.Fatalf("scheduled %v", vs)
	}
	wantTimes := []string{"2026-03-03T10:00:00Z", "2026-03-10T10:00:00Z", "2026-03-17T10:00:00Z"}
	for i, v := range vs {
		v := v.(map[string]any)
		if v["plannedAt"] != wantTimes[i] || v["status"] != "PLANNED" || path(v, "clinician", "id") != "clin-leek-1" || v["seriesId"] == nil {
			t.Fatalf("visit %d: %v", i, v)
		}
	}
	first := vs[0].(map[string]any)["id"]

	h.clock.Set(time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC))
	v := h.ok(leekNurse, recordOutcome, in("episodeId", id, "visitId", first, "outcome", "COMPLETED"))["recordVisitOutcome"].(map[string]any)
	if v["status"] != "COMPLETED" || v["outcomeAt"] != "2026-03-03T11:00:00Z" {
		t.Fatalf("outcome: %v", v)
	}

	ep = h.ok(leekNurse, startReview, in("episodeId", id, "reason", "DETERIORATION"))["startReview"].(map[string]any)
	if ep["status"] != "UNDER_REVIEW" || path(ep, "review", "reason") != "DETERIORATION" {
		t.Fatalf("review: %v", ep)
	}
	ep = h.ok(leekNurse, recordMdt, in("episodeId", id, "discussedAt", "2026-03-03T10:30:00Z", "concludesReview", true,
		"attendees", []any{map[string]any{"role": "GP"}, map[string]any{"role": "COMMUNITY_NURSE", "name": "Alice Hill"}, map[string]any{"role": "SOCIAL_WORKER"}},
		"actions", []any{map[string]any{"description": "Review medicines", "ownerRole": "PHARMACIST", "dueDate": "2026-03-10"}}))["recordMdtDiscussion"].(map[string]any)
	mdt := ep["mdtDiscussions"].([]any)[0].(map[string]any)
	if ep["status"] != "ACTIVE" || len(mdt["attendees"].([]any)) != 3 || mdt["concludedReview"] != true || path(mdt["actions"].([]any)[0].(map[string]any), "ownerRole") != "PHARMACIST" {
		t.Fatalf("after the MDT: %v", ep)
	}
	ep = h.ok(leekNurse, updateCarePlan, in("episodeId", id, "goals", []any{"Walk to the post office", "Sleep downstairs safely"}, "nextReviewDate", "2026-04-14"))["updateCarePlan"].(map[string]any)
	if path(ep, "carePlan", "version") != 2.0 || ep["status"] != "ACTIVE" {
		t.Fatalf("care plan v2: %v", ep)
	}

	ep = h.ok(leekNurse, discharge, in("episodeId", id, "outcome", "GOALS_MET"))["dischargeFromCaseload"].(map[string]any)
	if ep["status"] != "DISCHARGED" || ep["dischargeOutcome"] != "GOALS_MET" || ep["closedAt"] == nil {
		t.Fatalf("discharged: %v", ep)
	}
	for _, v := range ep["visits"].([]any)[1:] {
		if v := v.(map[string]any); v["status"] != "CANCELLED" || v["cancellationReason"] != "EPISODE_CLOSED" {
			t.Fatalf("a planned visit outlived the episode: %v", v)
		}
	}
	want := []string{"EpisodeOpened", "KeyworkerAssigned", "CarePlanUpdated", "EpisodeActivated",
		"VisitsScheduled", "VisitOutcomeRecorded", "ReviewStarted", "MdtDiscussionRecorded",
		"ReviewConcluded", "CarePlanUpdated", "EpisodeDischarged"}
	if got := historyTypes(ep); !reflect.DeepEqual(got, want) {
		t.Fatalf("history\n got %v\nwant %v", got, want)
	}
	if actor := path(ep["history"].([]any)[1].(map[string]any), "actor"); actor != "clin-leek-1" {
		t.Fatalf("history actor %v", actor)
	}

	open := h.ok(leekNurse, `{ locality(id: "leek") { caseload { id } } }`, nil)
	if n := len(path(open, "locality", "caseload").([]any)); n != 0 {
		t.Fatalf("a discharged episode is still on the open caseload: %v", open)
	}
	closed := h.ok(leekNurse, `{ locality(id: "leek") { caseload(status: [DISCHARGED]) { id } } }`, nil)
	if got := path(closed, "locality", "caseload").([]any); len(got) != 1 || got[0].(map[string]any)["id"] != id {
		t.Fatalf("discharged caseload: %v", closed)
	}
}

func TestEpisode_illegal_step_is_rejected_naming_the_state_and_writes_nothing(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-illegal", jean, "leek")
	stream := domain.Category + "-" + id

	msg := h.fails(leekNurse, "BAD_USER_INPUT", updateCarePlan, in("episodeId", id, "goals", []any{"x"}, "nextReviewDate", "2026-04-01"))
	if !contains(msg, "AWAITING_ALLOCATION") {
		t.Fatalf("message does not name the state: %q", msg)
	}
	h.fails(leekNurse, "BAD_USER_INPUT", scheduleVisit, in("episodeId", id, "plannedAt", "2026-03-03T10:00:00Z", "purpose", "REVIEW"))
	h.fails(leekNurse, "BAD_USER_INPUT", startReview, in("episodeId", id, "reason", "DETERIORATION"))

	h.allocate(id)
	h.ok(leekNurse, recordDeath, in("episodeId", id, "dateOfDeath", "2026-03-02"))
	before := streamLen(t, h.svc.Store, stream)
	for name, try := range map[string]func() string{
		"discharge": func() string {
			return h.fails(leekNurse, "BAD_USER_INPUT", discharge, in("episodeId", id, "outcome", "GOALS_MET"))
		},
		"keyworker": func() string {
			return h.fails(leekNurse, "BAD_USER_INPUT", assignKeyworker, in("episodeId", id, "keyworkerId", "clin-leek-2", "keyworkerName", "Bob Stone"))
		},
		"visit": func() string {
			return h.fails(leekNurse, "BAD_USER_INPUT", scheduleVisit, in("episodeId", id, "plannedAt", "2026-03-03T10:00:00Z", "purpose", "REVIEW"))
		},
		"transfer": func() string {
			return h.fails(leekNurse, "BAD_USER_INPUT", transferEpisode, in("episodeId", id, "toLocalityId", "tamworth"))
		},
	} {
		if msg := try(); !contains(msg, "it is DECEASED") {
			t.Fatalf("%s on a deceased patient's episode: %q", name, msg)
		}
	}
	if after := streamLen(t, h.svc.Store, stream); after != before {
		t.Fatalf("rejected commands wrote %d events", after-before)
	}
}

func TestEpisode_bad_input_names_the_field(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-badinput", jean, "leek")
	h.activate(id, "2026-04-01")
	r := h.do(leekNurse, scheduleVisit, in("episodeId", id, "plannedAt", "tomorrow", "purpose", "REVIEW"))
	if r.code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "plannedAt" {
		t.Fatalf("%+v", r.Errors)
	}
	r = h.do(leekNurse, recordOutcome, in("episodeId", id, "visitId", "no-such-visit", "outcome", "COMPLETED"))
	if r.code() != "NOT_FOUND" {
		t.Fatalf("%+v", r.Errors)
	}
	r = h.do(leekNurse, assignKeyworker, in("episodeId", "no-such-episode", "keyworkerId", "clin-leek-2", "keyworkerName", "Bob Stone"))
	if r.code() != "NOT_FOUND" {
		t.Fatalf("%+v", r.Errors)
	}
}

func TestEpisode_suspend_and_resume_by_hand_returns_to_the_state_it_was_in(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-suspend", jean, "leek")
	h.activate(id, "2026-04-01")
	vs := h.ok(leekNurse, scheduleVisit, in("episodeId", id, "plannedAt", "2026-03-03T10:00:00Z", "purpose", "REVIEW",
		"recurrence", map[string]any{"frequency": "DAILY", "occurrences": 4}))["scheduleVisit"].([]any)
	h.ok(leekNurse, startReview, in("episodeId", id, "reason", "CHANGE_IN_NEEDS"))

	h.clock.Set(time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC))
	ep := h.ok(leekNurse, suspendEpisode, in("episodeId", id, "reason", "ADMITTED_ACUTE_HOSPITAL", "at", "2026-03-03T12:00:00Z"))["suspendEpisode"].(map[string]any)
	if ep["status"] != "SUSPENDED" || path(ep, "suspension", "resumeTo") != "UNDER_REVIEW" {
		t.Fatalf("suspended: %v", ep)
	}
	// The visit of the morning before admission is written up late.
	h.ok(leekNurse, recordOutcome, in("episodeId", id, "visitId", vs[0].(map[string]any)["id"], "outcome", "COMPLETED", "at", "2026-03-03T10:20:00Z"))

	h.clock.Set(time.Date(2026, 3, 5, 15, 0, 0, 0, time.UTC))
	ep = h.ok(leekNurse, resumeEpisode, in("episodeId", id))["resumeEpisode"].(map[string]any)
	if ep["status"] != "UNDER_REVIEW" || ep["suspension"] != nil {
		t.Fatalf("resumed: %v", ep)
	}
	var statuses []string
	for _, v := range ep["visits"].([]any) {
		v := v.(map[string]any)
		statuses = append(statuses, fmt.Sprint(v["status"], "/", v["cancellationReason"]))
	}
	want := []string{"COMPLETED/<nil>", "CANCELLED/PATIENT_ADMITTED", "CANCELLED/PATIENT_ADMITTED", "PLANNED/<nil>"}
	if !reflect.DeepEqual(statuses, want) {
		t.Fatalf("visits after the stay: %v, want %v", statuses, want)
	}
}

func TestEpisode_reassigned_visits_move_between_clinicians_visit_lists(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-reassign", jean, "leek")
	h.activate(id, "2026-04-01")
	vs := h.ok(leekNurse, scheduleVisit, in("episodeId", id, "plannedAt", "2026-03-03T09:30:00Z", "purpose", "MEDICATION",
		"recurrence", map[string]any{"frequency": "DAILY", "occurrences": 2}))["scheduleVisit"].([]any)
	list := `query($c: ID!, $d: String!) { visitList(clinicianId: $c, date: $d) { id plannedAt episode { id nhsNumber patientName } } }`
	got := h.ok(leekNurse, list, map[string]any{"c": "clin-leek-1", "d": "2026-03-03"})["visitList"].([]any)
	if len(got) != 1 || path(got[0].(map[string]any), "episode", "patientName") != "Jean Smith" {
		t.Fatalf("Alice's list: %v", got)
	}
	moved := h.ok(leekLead, reassignVisits, in("episodeId", id, "visitIds", []any{vs[0].(map[string]any)["id"]}, "clinicianId", "clin-leek-2", "clinicianName", "Bob Stone"))["reassignVisits"].([]any)
	if path(moved[0].(map[string]any), "clinician", "id") != "clin-leek-2" {
		t.Fatalf("moved: %v", moved)
	}
	if got := h.ok(leekNurse, list, map[string]any{"c": "clin-leek-1", "d": "2026-03-03"})["visitList"].([]any); len(got) != 0 {
		t.Fatalf("Alice still has the visit: %v", got)
	}
	if got := h.ok(leekNurse, list, map[string]any{"c": "clin-leek-2", "d": "2026-03-03"})["visitList"].([]any); len(got) != 1 {
		t.Fatalf("Bob's list: %v", got)
	}
	if got := h.ok(leekNurse, list, map[string]any{"c": "clin-leek-1", "d": "2026-03-04"})["visitList"].([]any); len(got) != 1 {
		t.Fatalf("Alice keeps the next day's visit: %v", got)
	}
	// Tamworth's clinicians do not see Leek's visits, whoever makes them.
	if got := h.ok(tamNurse, list, map[string]any{"c": "clin-leek-2", "d": "2026-03-03"})["visitList"].([]any); len(got) != 0 {
		t.Fatalf("visible out of reach: %v", got)
	}
}
