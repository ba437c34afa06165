package domain_test

import (
	"testing"
	"time"

	"carecoord/pkg/errs"
	"carecoord/services/falls/domain"
)

var unit = domain.Unit{ID: "falls-14", CallSign: "FALLS 14", BaseLocality: "leek", Level: domain.Level1}

func TestResponder_off_duty_unit_cannot_be_dispatched(t *testing.T) {
	r := domain.NewResponder("falls-14")
	_, err := r.Assign(unit, "a-1", "inc-1", "u1", t0)
	mustIllegal(t, err, "off duty (OFF_DUTY)")
}

func TestResponder_takes_one_assignment_at_a_time(t *testing.T) {
	r := domain.NewResponder("falls-14")
	evs, err := r.SetStatus(domain.DutyAvailable, "u1", t0)
	if err != nil || len(evs) != 1 {
		t.Fatal(evs, err)
	}
	r.Apply(evs[0])
	if evs, _ := r.SetStatus(domain.DutyAvailable, "u1", t0); len(evs) != 0 {
		t.Fatal("setting the same status recorded an event")
	}
	evs, err = r.Assign(unit, "a-1", "inc-1", "u1", t0)
	if err != nil {
		t.Fatal(err)
	}
	r.Apply(evs[0])
	_, err = r.Assign(unit, "a-2", "inc-2", "u1", t0)
	mustIllegal(t, err, "already committed")
	_, err = r.SetStatus(domain.DutyOffDuty, "u1", t0)
	if !errs.Is(err, errs.KindInvalidInput) {
		t.Fatalf("booked off while committed: %v", err)
	}
	if evs := r.Release("a-other", domain.ReleaseOutcome, nil, t0); len(evs) != 0 {
		t.Fatal("released an assignment the unit does not hold")
	}
	evs = r.Release("a-1", domain.ReleaseOutcome, nil, t0)
	if len(evs) != 1 {
		t.Fatal("no release")
	}
	r.Apply(evs[0])
	if _, _, ok := r.Current(); ok || !r.OnDuty() {
		t.Fatal("not available after release")
	}
	if evs := r.Release("a-1", domain.ReleaseOutcome, nil, t0); len(evs) != 0 {
		t.Fatal("released twice")
	}
}

func TestFloorClock_counts_from_the_fall_to_the_lift(t *testing.T) {
	var never time.Time
	c := domain.NewFloorClock(min(0), min(-30), never, never, "")
	if !c.Running() || c.Elapsed(min(30)) != time.Hour || c.Breached(min(30)) || !c.Breached(min(31)) {
		t.Fatalf("%+v", c)
	}
	lifted := domain.NewFloorClock(min(0), never, min(45), never, "")
	if lifted.Running() || lifted.Elapsed(min(500)) != 45*time.Minute || lifted.Breached(min(500)) {
		t.Fatalf("%+v", lifted)
	}
	declined := domain.NewFloorClock(min(0), never, never, min(70), domain.CloseCompleted)
	if declined.Running() || !declined.Breached(min(90)) {
		t.Fatalf("%+v", declined)
	}
	falseAlarm := domain.NewFloorClock(min(0), never, never, never, domain.CloseNoFall)
	if falseAlarm.Running() || falseAlarm.Elapsed(min(90)) != 0 || falseAlarm.Breached(min(90)) {
		t.Fatalf("%+v", falseAlarm)
	}
}
