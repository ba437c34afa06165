package service_test

import (
	"reflect"
	"sync"
	"testing"

	"carecoord/services/caseload/domain"
)

func TestCommandID_repeat_returns_the_first_result_and_writes_nothing(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-repeat", jean, "leek")
	stream := domain.Category + "-" + id

	vars := map[string]any{"in": map[string]any{"episodeId": id, "keyworkerId": "clin-leek-1", "keyworkerName": "Alice Hill"}, "cmd": "cmd-kw-1"}
	first := h.ok(leekNurse, assignKeyworker, vars)["assignKeyworker"].(map[string]any)
	n := streamLen(t, h.svc.Store, stream)
	again := h.ok(leekNurse, assignKeyworker, vars)["assignKeyworker"].(map[string]any)
	if again["version"] != first["version"] || again["status"] != "ALLOCATED" || streamLen(t, h.svc.Store, stream) != n {
		t.Fatalf("repeat: first %v, again %v", first["version"], again["version"])
	}

	h.ok(leekNurse, updateCarePlan, in("episodeId", id, "goals", []any{"x"}, "nextReviewDate", "2026-04-01"))
	sv := map[string]any{"in": map[string]any{"episodeId": id, "plannedAt": "2026-03-03T10:00:00Z", "purpose": "REVIEW",
		"recurrence": map[string]any{"frequency": "DAILY", "occurrences": 3}}, "cmd": "cmd-visits-1"}
	a := h.ok(leekNurse, scheduleVisit, sv)["scheduleVisit"].([]any)
	n = streamLen(t, h.svc.Store, stream)
	b := h.ok(leekNurse, scheduleVisit, sv)["scheduleVisit"].([]any)
	if len(a) != 3 || !reflect.DeepEqual(a, b) || streamLen(t, h.svc.Store, stream) != n {
		t.Fatalf("repeated scheduling: %v then %v", a, b)
	}
	// The same commandId on another episode is another command.
	other := h.openEpisode("ref-repeat-2", "9990000018", "leek")
	h.activate(other, "2026-04-01")
	sv["in"].(map[string]any)["episodeId"] = other
	c := h.ok(leekNurse, scheduleVisit, sv)["scheduleVisit"].([]any)
	if len(c) != 3 || c[0].(map[string]any)["id"] == a[0].(map[string]any)["id"] {
		t.Fatalf("visits of another episode share IDs: %v", c)
	}
}

func TestConcurrency_stale_expected_version_is_a_conflict_and_writes_nothing(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-stale", jean, "leek")
	ep := h.activate(id, "2026-04-01")
	seen := ep["version"]

	// Two clinicians edit the plan from the same version: the second loses.
	h.ok(leekNurse, updateCarePlan, in("episodeId", id, "goals", []any{"first edit"}, "nextReviewDate", "2026-04-02", "expectedVersion", seen))
	n := streamLen(t, h.svc.Store, domain.Category+"-"+id)
	msg := h.fails(leekLead, "CONFLICT", updateCarePlan, in("episodeId", id, "goals", []any{"second edit"}, "nextReviewDate", "2026-04-03", "expectedVersion", seen))
	if !contains(msg, "reload") {
		t.Fatalf("message %q", msg)
	}
	if streamLen(t, h.svc.Store, domain.Category+"-"+id) != n {
		t.Fatal("a conflicting command wrote")
	}
}

func TestConcurrency_racing_closures_one_wins_the_rest_conflict_or_are_refused(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-race", jean, "leek")
	h.activate(id, "2026-04-01")

	const n = 8
	codes := make(chan string, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			if i%2 == 0 {
				codes <- h.do(leekNurse, discharge, in("episodeId", id, "outcome", "GOALS_MET")).code()
			} else {
				codes <- h.do(leekLead, recordDeath, in("episodeId", id, "dateOfDeath", "2026-03-02")).code()
			}
		}()
	}
	close(gate)
	wg.Wait()
	close(codes)
	count := map[string]int{}
	for c := range codes {
		count[c]++
	}
	if count[""] != 1 || count[""]+count["CONFLICT"]+count["BAD_USER_INPUT"] != n {
		t.Fatalf("outcomes %v: want one success, the rest CONFLICT or BAD_USER_INPUT", count)
	}
	closing := 0
	for _, ty := range historyOf(t, h, id) {
		if ty == "caseload.EpisodeDischarged.v1" || ty == "caseload.DeathRecorded.v1" {
			closing++
		}
	}
	if closing != 1 {
		t.Fatalf("%d closing events", closing)
	}
	t.Logf("outcomes of %d racing closures: %v", n, count)
}

func historyOf(t *testing.T, h *harness, id string) []string {
	t.Helper()
	evs := storeEvents(t, h.svc.Store, domain.Category+"-"+id)
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}
