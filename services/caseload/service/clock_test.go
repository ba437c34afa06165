package service_test

import (
	"testing"
	"time"
)

const teamLead = `{
	keyworkerCaseload(localityId: "leek") { keyworker { id } episodes visitsDueToday visitsOverdue reviewsOverdue patientsAdmitted }
	locality(id: "leek") { summary { localityId caseloadSize caseloadAwaitingAllocation caseloadActive caseloadPatientsAdmitted
		caseloadVisitsDueToday caseloadVisitsOverdue caseloadReviewsOverdue } }
}`

type load struct{ episodes, due, overdue, reviews, admitted float64 }

func loads(d map[string]any) map[string]load {
	out := map[string]load{}
	for _, r := range d["keyworkerCaseload"].([]any) {
		r := r.(map[string]any)
		k := "(unallocated)"
		if kw, ok := r["keyworker"].(map[string]any); ok {
			k = kw["id"].(string)
		}
		out[k] = load{r["episodes"].(float64), r["visitsDueToday"].(float64), r["visitsOverdue"].(float64), r["reviewsOverdue"].(float64), r["patientsAdmitted"].(float64)}
	}
	return out
}

func TestVisits_due_and_overdue_follow_the_clock_and_the_London_day(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-clock", jean, "leek")
	h.activate(id, "2026-03-04")
	h.openEpisode("ref-clock-waiting", "9990000018", "leek")
	// 2 March 10:00 and 3 March 10:00 (GMT), then 23:30 on 3 March.
	vs := h.ok(leekNurse, scheduleVisit, in("episodeId", id, "plannedAt", "2026-03-02T10:00:00Z", "purpose", "REVIEW",
		"recurrence", map[string]any{"frequency": "DAILY", "occurrences": 2}))["scheduleVisit"].([]any)
	h.ok(leekNurse, scheduleVisit, in("episodeId", id, "plannedAt", "2026-03-03T23:30:00Z", "purpose", "MEDICATION"))

	// Monday 08:00: the first visit is due today, nothing is overdue.
	d := h.ok(leekLead, teamLead, nil)
	if got := loads(d); got["clin-leek-1"] != (load{1, 1, 0, 0, 0}) || got["(unallocated)"] != (load{1, 0, 0, 0, 0}) {
		t.Fatalf("Monday: %+v", got)
	}
	sum := path(d, "locality", "summary").(map[string]any)
	if sum["caseloadSize"] != 2.0 || sum["caseloadAwaitingAllocation"] != 1.0 || sum["caseloadActive"] != 1.0 || sum["caseloadVisitsDueToday"] != 1.0 || sum["localityId"] != "leek" {
		t.Fatalf("Monday's summary: %v", sum)
	}

	// Tuesday 09:00: Monday's visit is overdue, Tuesday's two are due.
	h.clock.Set(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	if got := loads(h.ok(leekLead, teamLead, nil)); got["clin-leek-1"] != (load{1, 2, 1, 0, 0}) {
		t.Fatalf("Tuesday: %+v", got)
	}
	ep := h.ok(leekNurse, episodeQuery, map[string]any{"id": id})["caseloadEpisode"].(map[string]any)
	v0 := ep["visits"].([]any)[0].(map[string]any)
	if v0["overdue"] != true || v0["due"] != false {
		t.Fatalf("Monday's visit on Tuesday: %v", v0)
	}

	// Recording it clears it.
	h.ok(leekNurse, recordOutcome, in("episodeId", id, "visitId", vs[0].(map[string]any)["id"], "outcome", "NO_ACCESS", "at", "2026-03-02T10:05:00Z"))
	if got := loads(h.ok(leekLead, teamLead, nil)); got["clin-leek-1"] != (load{1, 2, 0, 0, 0}) {
		t.Fatalf("after recording: %+v", got)
	}

	// Thursday: the review date (Wednesday) has passed, and Tuesday's visits
	// are overdue.
	h.clock.Set(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC))
	d = h.ok(leekLead, teamLead, nil)
	if got := loads(d); got["clin-leek-1"] != (load{1, 0, 2, 1, 0}) {
		t.Fatalf("Thursday: %+v", got)
	}
	if sum := path(d, "locality", "summary").(map[string]any); sum["caseloadReviewsOverdue"] != 1.0 || sum["caseloadVisitsOverdue"] != 2.0 {
		t.Fatalf("Thursday's summary: %v", sum)
	}

	// In a bed, nothing is due or overdue: the patient is counted as admitted.
	h.ok(leekNurse, suspendEpisode, in("episodeId", id, "reason", "ADMITTED_ACUTE_HOSPITAL"))
	if got := loads(h.ok(leekLead, teamLead, nil)); got["clin-leek-1"] != (load{1, 0, 0, 0, 1}) {
		t.Fatalf("admitted: %+v", got)
	}
}

func TestVisits_day_boundaries_are_London_days_in_summer_time(t *testing.T) {
	h := newHarness(t)
	h.clock.Set(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC))
	id := h.openEpisode("ref-bst", jean, "leek")
	h.activate(id, "2026-07-01")
	// 23:30 UTC on 1 June is 00:30 on 2 June in London.
	h.ok(leekNurse, scheduleVisit, in("episodeId", id, "plannedAt", "2026-06-01T23:30:00Z", "purpose", "PALLIATIVE_CARE"))
	list := `query($d: String!) { visitList(clinicianId: "clin-leek-1", date: $d) { plannedAt due } }`
	if got := h.ok(leekNurse, list, map[string]any{"d": "2026-06-01"})["visitList"].([]any); len(got) != 0 {
		t.Fatalf("1 June: %v", got)
	}
	got := h.ok(leekNurse, list, map[string]any{"d": "2026-06-02"})["visitList"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["due"] != false {
		t.Fatalf("2 June, seen on 1 June: %v", got)
	}
	h.clock.Set(time.Date(2026, 6, 1, 23, 15, 0, 0, time.UTC)) // 00:15 on 2 June in London
	if got := h.ok(leekNurse, list, map[string]any{"d": "2026-06-02"})["visitList"].([]any); got[0].(map[string]any)["due"] != true {
		t.Fatalf("2 June, seen just after midnight in London: %v", got)
	}
}
