package domain_test

import (
	"strings"
	"testing"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
	"carecoord/pkg/nhsnumber"
	"carecoord/services/falls/domain"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func min(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

func given(events ...aggregate.Event) *domain.Incident {
	i := domain.NewIncident("inc-1")
	for _, e := range events {
		i.Apply(e)
	}
	return i
}

func reported() domain.FallReported {
	fell := min(-20)
	return domain.FallReported{IncidentID: "inc-1", Source: domain.SourceTelecare, AlertedAt: t0, EstimatedFallAt: &fell,
		Address: domain.Address{Text: "12 Church Street"}, IncidentLocality: "leek", Locality: "leek",
		Patient: domain.Patient{Verification: nhsnumber.NotKnown}}
}

func triaged(r domain.Response) domain.FallTriaged {
	return domain.FallTriaged{IncidentID: "inc-1", RedFlags: []domain.RedFlag{}, Injury: domain.InjuryNone, Response: r, TriagedAt: min(2)}
}

func dispatched(level domain.Level) domain.FallResponderDispatched {
	return domain.FallResponderDispatched{IncidentID: "inc-1", AssignmentID: "a-1", ResponderID: "falls-14", CallSign: "FALLS 14", Level: level, DispatchedAt: min(5)}
}

func onScene() domain.FallResponderOnScene {
	return domain.FallResponderOnScene{IncidentID: "inc-1", AssignmentID: "a-1", ResponderID: "falls-14", ArrivedAt: min(30)}
}

func mustIllegal(t *testing.T, err error, state string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Kind != errs.KindInvalidInput || !strings.Contains(e.Msg, state) {
		t.Fatalf("got %v, want an illegal step naming %q", err, state)
	}
}

func mustInvalid(t *testing.T, err error, field string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Kind != errs.KindInvalidInput || e.Field != field {
		t.Fatalf("got %v, want invalid input in %q", err, field)
	}
}

// only runs a decision and returns its one event, of type T.
func only[T aggregate.Event](t *testing.T, decide func() ([]aggregate.Event, error)) T {
	t.Helper()
	evs, err := decide()
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1: %+v", len(evs), evs)
	}
	e, ok := evs[0].(T)
	if !ok {
		t.Fatalf("event %T, want %T", evs[0], *new(T))
	}
	return e
}

func TestDecideResponse_is_the_falls_triage_rule(t *testing.T) {
	cases := []struct {
		flags  []domain.RedFlag
		injury domain.Injury
		want   domain.Response
	}{
		{nil, domain.InjuryNone, domain.ResponseLevel1},
		{nil, domain.InjuryMinor, domain.ResponseLevel2},
		{nil, domain.InjuryInjured, domain.Response999},
		{[]domain.RedFlag{domain.RedFlagExtremitiesColdBlue}, domain.InjuryNone, domain.Response999},
		{[]domain.RedFlag{domain.RedFlagLongLie}, domain.InjuryMinor, domain.Response999},
	}
	for _, c := range cases {
		if got := domain.DecideResponse(c.flags, c.injury); got != c.want {
			t.Errorf("%v %s: %s, want %s", c.flags, c.injury, got, c.want)
		}
	}
}

func TestParseRedFlags_rejects_unknown_flags_and_orders_the_rest(t *testing.T) {
	got, err := domain.ParseRedFlags("redFlags", []string{"BLEEDING", "INTENSE_PAIN", "BLEEDING"})
	if err != nil || len(got) != 2 || got[0] != domain.RedFlagIntensePain || got[1] != domain.RedFlagBleeding {
		t.Fatalf("%v %v", got, err)
	}
	_, err = domain.ParseRedFlags("redFlags", []string{"DIZZY"})
	mustInvalid(t, err, "redFlags")
}

func TestIncident_Report_rejects_a_fall_after_its_alert(t *testing.T) {
	_, err := domain.NewIncident("x").Report(false, domain.NewFall{Source: domain.SourceNHS111, AlertedAt: t0, EstimatedFallAt: min(5)}, "u1", t0)
	mustInvalid(t, err, "estimatedFallAt")
	_, err = domain.NewIncident("x").Report(false, domain.NewFall{Source: domain.SourceNHS111, AlertedAt: min(60)}, "u1", t0)
	mustInvalid(t, err, "alertedAt")
}

func TestIncident_Triage_uninjured_without_red_flags_queues_for_a_lift(t *testing.T) {
	i := given(reported())
	e := only[domain.FallTriaged](t, func() ([]aggregate.Event, error) {
		return i.Triage([]domain.RedFlag{}, domain.InjuryNone, "", "u1", min(2), min(2))
	})
	if e.Response != domain.ResponseLevel1 {
		t.Fatalf("response %s", e.Response)
	}
	i.Apply(e)
	if i.Status() != domain.StatusQueued {
		t.Fatalf("status %s", i.Status())
	}
}

func TestIncident_Triage_with_a_red_flag_must_go_to_999_and_takes_no_falls_unit(t *testing.T) {
	i := given(reported())
	e := only[domain.FallTriaged](t, func() ([]aggregate.Event, error) {
		return i.Triage([]domain.RedFlag{domain.RedFlagTraumaHeadNeckBack}, domain.InjuryNone, "hit head on table", "u1", min(2), min(2))
	})
	i.Apply(e)
	if i.Status() != domain.StatusTriaged || e.Response != domain.Response999 {
		t.Fatalf("status %s response %s", i.Status(), e.Response)
	}
	for _, lvl := range domain.Levels {
		_, err := i.Dispatch(domain.Assignment{ID: "a-1", ResponderID: "r", Level: lvl, DispatchedAt: min(3)}, "u1", min(3))
		mustIllegal(t, err, "must be escalated to 999 (TRIAGED)")
	}
	// Nor may it be talked down by triaging again.
	_, err := i.Triage(nil, domain.InjuryNone, "", "u1", min(4), min(4))
	mustIllegal(t, err, "(TRIAGED)")
	esc := only[domain.FallEscalatedTo999](t, func() ([]aggregate.Event, error) {
		return i.EscalateTo999("", "AMB-123", "u1", min(4), min(4))
	})
	if !esc.LineKeptOpen || esc.StandDown != nil {
		t.Fatalf("escalation %+v", esc)
	}
}

func TestIncident_Dispatch_a_level_2_incident_needs_a_level_2_unit(t *testing.T) {
	i := given(reported(), triaged(domain.ResponseLevel2))
	_, err := i.Dispatch(domain.Assignment{ID: "a-1", Level: domain.Level1, DispatchedAt: min(5)}, "u1", min(5))
	mustInvalid(t, err, "responderId")
	if _, err := i.Dispatch(domain.Assignment{ID: "a-1", Level: domain.Level2, DispatchedAt: min(5)}, "u1", min(5)); err != nil {
		t.Fatal(err)
	}
	// A clinical unit may lift an uninjured faller.
	if err := given(reported(), triaged(domain.ResponseLevel1)).CanDispatch(domain.Level2, min(5), min(5)); err != nil {
		t.Fatal(err)
	}
}

func TestIncident_Dispatch_is_one_unit_at_a_time_and_an_assignment_is_taken_once(t *testing.T) {
	i := given(reported(), triaged(domain.ResponseLevel1), dispatched(domain.Level1))
	_, err := i.Dispatch(domain.Assignment{ID: "a-2", Level: domain.Level1, DispatchedAt: min(6)}, "u1", min(6))
	mustIllegal(t, err, "dispatched (DISPATCHED)")
	i.Apply(domain.FallDispatchCancelled{IncidentID: "inc-1", AssignmentID: "a-1", CancelledAt: min(7)})
	if i.Status() != domain.StatusQueued {
		t.Fatalf("status %s after stand-down", i.Status())
	}
	if a, ok := i.EndedAssignment(); !ok || a.ID != "a-1" {
		t.Fatalf("ended assignment %+v %v", a, ok)
	}
	_, err = i.Dispatch(domain.Assignment{ID: "a-1", Level: domain.Level1, DispatchedAt: min(8)}, "u1", min(8))
	mustInvalid(t, err, "assignmentId")
}

func TestIncident_steps_out_of_order_are_rejected_naming_the_state(t *testing.T) {
	queued := given(reported(), triaged(domain.ResponseLevel1))
	_, err := queued.EnRoute("u1", min(5), min(5))
	mustIllegal(t, err, "queued for a level 1 responder (QUEUED)")
	_, err = queued.RecordOutcome(domain.OutcomeInput{Outcome: domain.OutcomeDeclined}, "u1", min(5), min(5))
	mustIllegal(t, err, "(QUEUED)")
	_, err = queued.Close(domain.CloseCompleted, "u1", min(5), min(5))
	mustIllegal(t, err, "cannot close the incident before its outcome is recorded: it is queued")
	_, err = given(reported()).Dispatch(domain.Assignment{ID: "a", Level: domain.Level2, DispatchedAt: min(1)}, "u1", min(1))
	mustIllegal(t, err, "awaiting triage (ALERT_RECEIVED)")
	closed := given(reported(), domain.FallClosed{IncidentID: "inc-1", Reason: domain.CloseNoFall, ClosedAt: min(3)})
	_, err = closed.Triage(nil, domain.InjuryNone, "", "u1", min(4), min(4))
	mustIllegal(t, err, "closed (CLOSED)")
	_, err = closed.EscalateTo999("", "", "u1", min(4), min(4))
	mustIllegal(t, err, "closed (CLOSED)")
}

func TestIncident_step_times_may_not_go_backwards_or_into_the_future(t *testing.T) {
	i := given(reported(), triaged(domain.ResponseLevel1), dispatched(domain.Level1))
	_, err := i.EnRoute("u1", min(4), min(10))
	mustInvalid(t, err, "enRouteAt")
	_, err = i.EnRoute("u1", min(30), min(10))
	mustInvalid(t, err, "enRouteAt")
}

func TestIncident_escalation_stands_down_a_unit_on_its_way_but_not_one_on_scene(t *testing.T) {
	i := given(reported(), triaged(domain.ResponseLevel1), dispatched(domain.Level1))
	e := only[domain.FallEscalatedTo999](t, func() ([]aggregate.Event, error) { return i.EscalateTo999("", "", "u1", min(9), min(9)) })
	if e.StandDown == nil || e.StandDown.AssignmentID != "a-1" {
		t.Fatalf("stand down %+v", e.StandDown)
	}
	i.Apply(e)
	if _, ok := i.Assignment(); ok {
		t.Fatal("still assigned after stand-down")
	}

	j := given(reported(), triaged(domain.ResponseLevel1), dispatched(domain.Level1), onScene())
	e = only[domain.FallEscalatedTo999](t, func() ([]aggregate.Event, error) { return j.EscalateTo999("", "", "u1", min(31), min(31)) })
	if e.StandDown != nil {
		t.Fatal("a unit on scene was stood down")
	}
	j.Apply(e)
	if a, ok := j.Assignment(); !ok || a.ID != "a-1" {
		t.Fatal("the unit on scene left the patient")
	}
}

func TestIncident_RecordOutcome_rules(t *testing.T) {
	scene := func(evs ...aggregate.Event) *domain.Incident {
		return given(append([]aggregate.Event{reported(), triaged(domain.ResponseLevel1), dispatched(domain.Level1), onScene()}, evs...)...)
	}
	_, err := scene().RecordOutcome(domain.OutcomeInput{Outcome: domain.OutcomeLiftedLeftAtHome}, "u1", min(40), min(40))
	mustInvalid(t, err, "outcome")
	lifted := domain.FallPatientLifted{IncidentID: "inc-1", LiftedAt: min(35)}
	e := only[domain.FallOutcomeRecorded](t, func() ([]aggregate.Event, error) {
		return scene(lifted).RecordOutcome(domain.OutcomeInput{Outcome: domain.OutcomeLiftedLeftAtHome}, "u1", min(40), min(40))
	})
	if e.Locality != "leek" || e.ReferTo == nil || len(e.ReferTo) != 0 || e.ClinicalNeed != nil {
		t.Fatalf("outcome %+v", e)
	}
	_, err = scene(lifted).RecordOutcome(domain.OutcomeInput{Outcome: domain.OutcomeReferred}, "u1", min(40), min(40))
	mustInvalid(t, err, "referTo")
	_, err = scene(lifted).RecordOutcome(domain.OutcomeInput{Outcome: domain.OutcomeDeclined, ReferTo: []domain.ReferTo{domain.ReferToICT}}, "u1", min(40), min(40))
	mustInvalid(t, err, "referTo")
	// The receiving services cannot act for an unidentified patient.
	_, err = scene(lifted).RecordOutcome(domain.OutcomeInput{Outcome: domain.OutcomeReferred, ReferTo: []domain.ReferTo{domain.ReferToICT}}, "u1", min(40), min(40))
	mustInvalid(t, err, "outcome")
	_, err = scene().RecordOutcome(domain.OutcomeInput{Outcome: domain.OutcomeStepUpBed}, "u1", min(40), min(40))
	mustInvalid(t, err, "clinicalNeed")
	linked := domain.FallPatientLinked{IncidentID: "inc-1", Locality: "tamworth", Patient: domain.Patient{NHSNumber: nhsnumber.MustParse("9434765919"), Verification: nhsnumber.Verified, GivenName: "Jean", FamilyName: "Plant"}}
	e = only[domain.FallOutcomeRecorded](t, func() ([]aggregate.Event, error) {
		return scene(linked).RecordOutcome(domain.OutcomeInput{Outcome: domain.OutcomeStepUpBed, ClinicalNeed: "reduced mobility"}, "u1", min(40), min(40))
	})
	if e.Patient.NHSNumber.String() != "9434765919" || e.Locality != "tamworth" {
		t.Fatalf("outcome carries %+v in %s", e.Patient, e.Locality)
	}
	i := scene(lifted)
	i.Apply(e)
	if a, ok := i.EndedAssignment(); !ok || a.ResponderID != "falls-14" {
		t.Fatal("the unit's assignment did not end with the outcome")
	}
}

func TestIncident_Close_as_a_false_alarm_only_before_dispatch(t *testing.T) {
	if _, err := given(reported()).Close(domain.CloseNoFall, "u1", min(1), min(1)); err != nil {
		t.Fatal(err)
	}
	_, err := given(reported(), triaged(domain.ResponseLevel1), dispatched(domain.Level1)).Close(domain.CloseDuplicate, "u1", min(6), min(6))
	mustIllegal(t, err, "(DISPATCHED)")
}
