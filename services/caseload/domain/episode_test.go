package domain_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
	"carecoord/services/caseload/domain"
)

var (
	t0    = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday
	alice = domain.Clinician{ID: "clin-leek-1", Name: "Alice Hill"}
	bob   = domain.Clinician{ID: "clin-leek-2", Name: "Bob Stone"}
)

func opened(id string) domain.EpisodeOpened {
	return domain.EpisodeOpened{EpisodeID: id, Locality: "leek", ReferralID: "ref-1", OpenedAt: t0,
		Patient: domain.Patient{NHSNumber: "9434765919", NHSNumberVerification: "VERIFIED"}}
}

// given builds an episode from history, as the repository does.
func given(evs ...aggregate.Event) *domain.Episode {
	e := domain.NewEpisode("ep-1")
	for _, ev := range evs {
		e.Apply(ev)
	}
	return e
}

func allocated() []aggregate.Event {
	return []aggregate.Event{opened("ep-1"), domain.KeyworkerAssigned{EpisodeID: "ep-1", Keyworker: alice, Team: "Leek ICT", AssignedAt: t0}}
}

func active() []aggregate.Event {
	return append(allocated(),
		domain.CarePlanUpdated{EpisodeID: "ep-1", Version: 1, Goals: []string{"Walk to the shop"}, NextReviewDate: "2026-04-01", AgreedAt: t0},
		domain.EpisodeActivated{EpisodeID: "ep-1", ActivatedAt: t0})
}

func withVisits(base []aggregate.Event, at ...time.Time) []aggregate.Event {
	ev := domain.VisitsScheduled{EpisodeID: "ep-1", ScheduledAt: t0}
	for i, a := range at {
		ev.Visits = append(ev.Visits, domain.ScheduledVisit{VisitID: fmt.Sprint("v", i+1), PlannedAt: a, DurationMinutes: 30, Purpose: "REVIEW", Clinician: alice})
	}
	return append(base, ev)
}

func illegal(t *testing.T, err error, state string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Kind != errs.KindInvalidInput || !strings.Contains(e.Msg, "it is "+state) {
		t.Fatalf("want an illegal step naming %s, got %v", state, err)
	}
}

func invalid(t *testing.T, err error, field string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Kind != errs.KindInvalidInput || e.Field != field {
		t.Fatalf("want invalid %s, got %v", field, err)
	}
}

// one expects a decision of exactly one event of type T: one[T](t)(decide()).
func one[T aggregate.Event](t *testing.T) func([]aggregate.Event, error) T {
	return func(evs []aggregate.Event, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 {
			t.Fatalf("want one event, got %#v", evs)
		}
		ev, ok := evs[0].(T)
		if !ok {
			t.Fatalf("want %T, got %T", ev, evs[0])
		}
		return ev
	}
}

func TestEpisode_Open_awaits_a_keyworker(t *testing.T) {
	e := domain.NewEpisode("ep-1")
	p, err := domain.NewPatient("943 476 5919", "VERIFIED", "Jean", "Smith", "1941-03-02", "ST13 5BQ", "M83001")
	if err != nil {
		t.Fatal(err)
	}
	ev := one[domain.EpisodeOpened](t)(e.Open(domain.NewEpisodeInput{Patient: p, Locality: "leek", ReferralID: "ref-1", OpenedAt: t0}))
	if ev.Patient.NHSNumber != "9434765919" || ev.Locality != "leek" {
		t.Fatalf("%+v", ev)
	}
	e.Apply(ev)
	if e.Status() != domain.AwaitingAllocation || e.Version() != 0 {
		t.Fatalf("status %s version %d", e.Status(), e.Version())
	}
	_, err = e.Open(domain.NewEpisodeInput{Patient: p, Locality: "leek", ReferralID: "ref-1", OpenedAt: t0})
	illegal(t, err, "AWAITING_ALLOCATION")
}

func TestEpisode_Open_without_an_NHS_number_is_rejected(t *testing.T) {
	_, err := domain.NewPatient("", "NOT_KNOWN", "Jean", "Smith", "", "", "")
	invalid(t, err, "patient.nhsNumber")
	_, err = domain.NewEpisode("x").Open(domain.NewEpisodeInput{Locality: "leek", ReferralID: "r", OpenedAt: t0})
	invalid(t, err, "patient.nhsNumber")
}

func TestEpisode_AssignKeyworker_allocates_then_hands_over(t *testing.T) {
	e := given(opened("ep-1"))
	ev := one[domain.KeyworkerAssigned](t)(e.AssignKeyworker(alice, "Leek ICT", t0))
	if ev.Previous != nil {
		t.Fatalf("first allocation has a previous keyworker: %+v", ev)
	}
	e.Apply(ev)
	if e.Status() != domain.Allocated {
		t.Fatalf("status %s", e.Status())
	}
	_, err := e.AssignKeyworker(alice, "Leek ICT", t0)
	invalid(t, err, "keyworkerId")
	handover := one[domain.KeyworkerAssigned](t)(e.AssignKeyworker(bob, "Leek ICT", t0))
	if handover.Previous == nil || *handover.Previous != alice {
		t.Fatalf("handover %+v", handover)
	}
}

func TestEpisode_UpdateCarePlan_first_version_activates(t *testing.T) {
	e := given(allocated()...)
	evs, err := e.UpdateCarePlan([]string{" Walk to the shop ", ""}, "2026-04-01", t0)
	if err != nil {
		t.Fatal(err)
	}
	want := []aggregate.Event{
		domain.CarePlanUpdated{EpisodeID: "ep-1", Version: 1, Goals: []string{"Walk to the shop"}, NextReviewDate: "2026-04-01", AgreedAt: t0},
		domain.EpisodeActivated{EpisodeID: "ep-1", ActivatedAt: t0},
	}
	if !reflect.DeepEqual(evs, want) {
		t.Fatalf("got %#v", evs)
	}
	for _, ev := range evs {
		e.Apply(ev)
	}
	v2 := one[domain.CarePlanUpdated](t)(e.UpdateCarePlan([]string{"Manage stairs"}, "2026-05-01", t0))
	if v2.Version != 2 || e.Status() != domain.Active {
		t.Fatalf("%+v %s", v2, e.Status())
	}
}

func TestEpisode_UpdateCarePlan_checks_goals_and_review_date(t *testing.T) {
	e := given(allocated()...)
	_, err := e.UpdateCarePlan([]string{" "}, "2026-04-01", t0)
	invalid(t, err, "goals")
	_, err = e.UpdateCarePlan([]string{"x"}, "2026-03-02", t0)
	invalid(t, err, "nextReviewDate")
	_, err = e.UpdateCarePlan([]string{"x"}, "2027-06-01", t0)
	invalid(t, err, "nextReviewDate")
}

func TestEpisode_UpdateCarePlan_before_allocation_is_rejected(t *testing.T) {
	_, err := given(opened("ep-1")).UpdateCarePlan([]string{"x"}, "2026-04-01", t0)
	illegal(t, err, "AWAITING_ALLOCATION")
}

func TestEpisode_review_goes_to_the_MDT_and_back(t *testing.T) {
	e := given(active()...)
	e.Apply(one[domain.ReviewStarted](t)(e.StartReview("DETERIORATION", t0)))
	if e.Status() != domain.UnderReview {
		t.Fatalf("status %s", e.Status())
	}
	_, err := e.StartReview("DETERIORATION", t0)
	illegal(t, err, "UNDER_REVIEW")
	d := domain.MdtDiscussion{ID: "d1", DiscussedAt: t0.Add(time.Hour), ConcludesReview: true,
		Attendees: []domain.MdtAttendee{{Role: "GP"}, {Role: "COMMUNITY_NURSE", Name: "Alice Hill"}},
		Actions:   []domain.MdtAction{{Description: "Medication review", OwnerRole: "PHARMACIST", DueDate: "2026-03-09"}}}
	evs, err := e.RecordMdtDiscussion(d, t0.Add(2*time.Hour))
	if err != nil || len(evs) != 2 {
		t.Fatalf("%#v %v", evs, err)
	}
	if _, ok := evs[1].(domain.ReviewConcluded); !ok {
		t.Fatalf("second event %T", evs[1])
	}
	for _, ev := range evs {
		e.Apply(ev)
	}
	if e.Status() != domain.Active {
		t.Fatalf("status %s", e.Status())
	}
	_, err = e.RecordMdtDiscussion(d, t0.Add(2*time.Hour))
	illegal(t, err, "ACTIVE") // cannot conclude a review it is not under
	d.ConcludesReview = false
	_, err = e.RecordMdtDiscussion(d, t0.Add(2*time.Hour))
	invalid(t, err, "discussionId")
}

func TestEpisode_RecordMdtDiscussion_checks_its_content(t *testing.T) {
	e := given(active()...)
	base := domain.MdtDiscussion{ID: "d1", DiscussedAt: t0.Add(time.Hour), Attendees: []domain.MdtAttendee{{Role: "GP"}, {Role: "SOCIAL_WORKER"}}}
	lone := base
	lone.Attendees = lone.Attendees[:1]
	_, err := e.RecordMdtDiscussion(lone, t0.Add(2*time.Hour))
	invalid(t, err, "attendees")
	future := base
	future.DiscussedAt = t0.Add(48 * time.Hour)
	_, err = e.RecordMdtDiscussion(future, t0.Add(2*time.Hour))
	invalid(t, err, "discussedAt")
	blank := base
	blank.Actions = []domain.MdtAction{{Description: "  ", OwnerRole: "GP"}}
	_, err = e.RecordMdtDiscussion(blank, t0.Add(2*time.Hour))
	invalid(t, err, "actions.description")
}

func TestEpisode_ScheduleVisits_daily_series_keeps_local_time_across_the_clock_change(t *testing.T) {
	// British Summer Time starts on Sunday 29 March 2026.
	first := time.Date(2026, 3, 27, 9, 0, 0, 0, domain.London)
	e := given(active()...)
	ev := one[domain.VisitsScheduled](t)(e.ScheduleVisits(domain.VisitPlan{
		FirstAt: first, Purpose: "WOUND_CARE", Recurrence: &domain.Recurrence{Frequency: domain.Daily, Occurrences: 4},
		SeriesID: "s1", VisitID: func(i int) string { return fmt.Sprint("v", i) },
	}, first.Add(-time.Hour)))
	if len(ev.Visits) != 4 || ev.SeriesID != "s1" {
		t.Fatalf("%+v", ev)
	}
	for i, v := range ev.Visits {
		local := v.PlannedAt.In(domain.London)
		if local.Hour() != 9 || local.Day() != 27+i || v.Clinician != alice || v.DurationMinutes != 30 {
			t.Fatalf("visit %d at %s by %v", i, local, v.Clinician)
		}
	}
	if got := ev.Visits[3].PlannedAt.Sub(ev.Visits[0].PlannedAt); got != 71*time.Hour {
		t.Fatalf("three local days across the change are %s, want 71h", got)
	}
}

func TestEpisode_ScheduleVisits_is_rejected_outside_allocated_care(t *testing.T) {
	plan := domain.VisitPlan{FirstAt: t0.Add(time.Hour), Purpose: "REVIEW", VisitID: func(int) string { return "v" }}
	_, err := given(opened("ep-1")).ScheduleVisits(plan, t0)
	illegal(t, err, "AWAITING_ALLOCATION")
	susp := append(active(), domain.EpisodeSuspended{EpisodeID: "ep-1", Reason: domain.AdmittedCommunityBed, PreviousStatus: domain.Active, SuspendedAt: t0})
	_, err = given(susp...).ScheduleVisits(plan, t0)
	illegal(t, err, "SUSPENDED")
	disch := append(active(), domain.EpisodeDischarged{EpisodeID: "ep-1", Outcome: "GOALS_MET", DischargedAt: t0})
	_, err = given(disch...).ScheduleVisits(plan, t0)
	illegal(t, err, "DISCHARGED")
}

func TestEpisode_ScheduleVisits_checks_the_plan(t *testing.T) {
	e := given(withVisits(active(), t0.Add(24*time.Hour))...)
	id := func(int) string { return "new" }
	cases := map[string]domain.VisitPlan{
		"plannedAt":              {FirstAt: t0.Add(-15 * 24 * time.Hour), VisitID: id},
		"durationMinutes":        {FirstAt: t0.Add(time.Hour), DurationMinutes: 600, VisitID: id},
		"recurrence.occurrences": {FirstAt: t0.Add(time.Hour), Recurrence: &domain.Recurrence{Frequency: domain.Daily, Occurrences: 57}, SeriesID: "s", VisitID: id},
	}
	for field, p := range cases {
		_, err := e.ScheduleVisits(p, t0)
		invalid(t, err, field)
	}
	_, err := e.ScheduleVisits(domain.VisitPlan{FirstAt: t0.Add(24 * time.Hour), VisitID: id}, t0)
	invalid(t, err, "plannedAt") // double-booked
}

func TestVisit_outcome_once_and_only_from_planned(t *testing.T) {
	e := given(withVisits(active(), t0.Add(time.Hour))...)
	done := one[domain.VisitOutcomeRecorded](t)(e.RecordVisitOutcome("v1", domain.VisitCompleted, "", t0.Add(90*time.Minute), t0.Add(2*time.Hour)))
	e.Apply(done)
	_, err := e.RecordVisitOutcome("v1", domain.VisitNoAccess, "", t0.Add(2*time.Hour), t0.Add(2*time.Hour))
	illegal(t, err, "COMPLETED")
	_, err = e.RecordVisitOutcome("nope", domain.VisitNoAccess, "", t0, t0)
	if !errs.Is(err, errs.KindNotFound) {
		t.Fatalf("unknown visit: %v", err)
	}
}

func TestVisit_outcome_checks_reason_and_time(t *testing.T) {
	e := given(withVisits(active(), t0.Add(24*time.Hour))...)
	_, err := e.RecordVisitOutcome("v1", domain.VisitCancelled, "", t0, t0)
	invalid(t, err, "cancellationReason")
	_, err = e.RecordVisitOutcome("v1", domain.VisitDeclined, domain.CancelOther, t0, t0)
	invalid(t, err, "cancellationReason")
	_, err = e.RecordVisitOutcome("v1", domain.VisitCompleted, "", t0.Add(25*time.Hour), t0)
	invalid(t, err, "at") // in the future
	_, err = e.RecordVisitOutcome("v1", domain.VisitCompleted, "", t0, t0)
	invalid(t, err, "at") // the day before it was planned
	one[domain.VisitOutcomeRecorded](t)(e.RecordVisitOutcome("v1", domain.VisitCancelled, domain.CancelPatientRequest, t0, t0))
}

func TestEpisode_suspend_and_resume_returns_to_the_previous_state_and_cancels_visits_missed(t *testing.T) {
	admitted, home := t0.Add(24*time.Hour), t0.Add(72*time.Hour)
	before, during, after := t0.Add(2*time.Hour), t0.Add(48*time.Hour), t0.Add(96*time.Hour)
	e := given(withVisits(active(), before, during, after)...)
	e.Apply(one[domain.ReviewStarted](t)(e.StartReview("REVIEW_DUE", t0)))
	susp := one[domain.EpisodeSuspended](t)(e.Suspend(domain.Suspension{Reason: domain.AdmittedCommunityBed, StayID: "stay-1", At: admitted}))
	if susp.PreviousStatus != domain.UnderReview {
		t.Fatalf("%+v", susp)
	}
	e.Apply(susp)
	_, err := e.Suspend(domain.Suspension{Reason: domain.AdmittedCommunityBed, At: admitted})
	illegal(t, err, "SUSPENDED")
	// The visit before admission can still be written up; one after cannot.
	_, err = e.RecordVisitOutcome("v2", domain.VisitCompleted, "", during, home)
	illegal(t, err, "SUSPENDED")
	res := one[domain.EpisodeResumed](t)(e.Resume(home))
	if res.ResumedTo != domain.UnderReview || !reflect.DeepEqual(res.CancelledVisitIDs, []string{"v2"}) {
		t.Fatalf("%+v", res)
	}
	e.Apply(res)
	if e.Status() != domain.UnderReview {
		t.Fatalf("status %s", e.Status())
	}
	_, err = e.RecordVisitOutcome("v2", domain.VisitCompleted, "", home, home)
	illegal(t, err, "CANCELLED")
	_, err = e.Resume(home)
	illegal(t, err, "UNDER_REVIEW")
}

func TestEpisode_keyworker_assigned_while_suspended_resumes_to_allocated(t *testing.T) {
	e := given(opened("ep-1"))
	e.Apply(one[domain.EpisodeSuspended](t)(e.Suspend(domain.Suspension{Reason: domain.AdmittedAcuteHospital, At: t0})))
	e.Apply(one[domain.KeyworkerAssigned](t)(e.AssignKeyworker(alice, "Leek ICT", t0)))
	if e.Status() != domain.Suspended {
		t.Fatalf("status %s", e.Status())
	}
	if res := one[domain.EpisodeResumed](t)(e.Resume(t0.Add(time.Hour))); res.ResumedTo != domain.Allocated {
		t.Fatalf("%+v", res)
	}
}

func TestEpisode_closing_cancels_planned_visits_and_ends_the_lifecycle(t *testing.T) {
	base := withVisits(active(), t0.Add(time.Hour), t0.Add(48*time.Hour))
	base = append(base, domain.VisitOutcomeRecorded{EpisodeID: "ep-1", VisitID: "v1", Outcome: domain.VisitCompleted, At: t0.Add(time.Hour)})
	closers := map[domain.Status]func(e *domain.Episode) ([]aggregate.Event, error){
		domain.Discharged: func(e *domain.Episode) ([]aggregate.Event, error) {
			return e.Discharge("GOALS_MET", t0.Add(3*time.Hour))
		},
		domain.Transferred: func(e *domain.Episode) ([]aggregate.Event, error) {
			return e.Transfer("tamworth", "", t0.Add(3*time.Hour))
		},
		domain.Deceased: func(e *domain.Episode) ([]aggregate.Event, error) {
			return e.RecordDeath("2026-03-02", t0.Add(3*time.Hour))
		},
	}
	for want, close := range closers {
		e := given(base...)
		evs, err := close(e)
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: %v %v", want, evs, err)
		}
		cancelled := reflect.ValueOf(evs[0]).FieldByName("CancelledVisitIDs").Interface().([]string)
		if !reflect.DeepEqual(cancelled, []string{"v2"}) {
			t.Fatalf("%s cancelled %v, want the planned visit only", want, cancelled)
		}
		e.Apply(evs[0])
		if e.Status() != want {
			t.Fatalf("status %s, want %s", e.Status(), want)
		}
		for what, step := range map[string]func() error{
			"discharge": func() error { _, err := e.Discharge("GOALS_MET", t0); return err },
			"keyworker": func() error { _, err := e.AssignKeyworker(bob, "Leek ICT", t0); return err },
			"suspend": func() error {
				_, err := e.Suspend(domain.Suspension{Reason: domain.AdmittedCommunityBed, At: t0})
				return err
			},
			"outcome": func() error { _, err := e.RecordVisitOutcome("v2", domain.VisitCompleted, "", t0, t0); return err },
		} {
			e := errorsAs(step())
			if e == nil || !strings.Contains(e.Msg, "it is "+string(want)) {
				t.Fatalf("%s after %s: %v", what, want, e)
			}
		}
	}
}

func errorsAs(err error) *errs.Error {
	e, _ := errs.As(err)
	return e
}

func TestEpisode_Transfer_needs_one_target_other_than_itself(t *testing.T) {
	e := given(active()...)
	_, err := e.Transfer("", "", t0)
	invalid(t, err, "toLocalityId")
	_, err = e.Transfer("tamworth", "District nursing", t0)
	invalid(t, err, "toLocalityId")
	_, err = e.Transfer("leek", "", t0)
	invalid(t, err, "toLocalityId")
	one[domain.EpisodeTransferred](t)(e.Transfer("", "District nursing", t0))
}

func TestEpisode_RecordDeath_date_is_not_in_the_future(t *testing.T) {
	e := given(active()...)
	_, err := e.RecordDeath("2026-03-03", t0)
	invalid(t, err, "dateOfDeath")
	_, err = e.RecordDeath("2026-03-01", t0)
	invalid(t, err, "dateOfDeath") // before the episode opened
}

func TestVisit_ReassignVisits_moves_planned_visits_only(t *testing.T) {
	base := withVisits(active(), t0.Add(time.Hour), t0.Add(48*time.Hour))
	e := given(append(base, domain.VisitOutcomeRecorded{EpisodeID: "ep-1", VisitID: "v1", Outcome: domain.VisitCompleted, At: t0.Add(time.Hour)})...)
	_, err := e.ReassignVisits([]string{"v1", "v2"}, bob, t0)
	illegal(t, err, "COMPLETED")
	ev := one[domain.VisitsReassigned](t)(e.ReassignVisits([]string{"v2"}, bob, t0))
	if len(ev.Visits) != 1 || ev.Visits[0].From != alice || ev.To != bob {
		t.Fatalf("%+v", ev)
	}
	e.Apply(ev)
	_, err = e.ReassignVisits([]string{"v2"}, bob, t0)
	invalid(t, err, "clinicianId")
}
