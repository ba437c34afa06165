package service_test

import (
	"testing"
	"time"
)

func TestFallsQueue_orders_by_risk_then_time_on_the_floor(t *testing.T) {
	h := newHarness(t)
	h.onShift("ucr-21")
	at := func(m int) string { return t0.Add(time.Duration(m) * time.Minute).Format(time.RFC3339) }
	// Reported in an order unlike the queue's.
	l1Recent := h.report("q-1", map[string]any{"alertedAt": at(-10)})
	l1Long := h.report("q-2", map[string]any{"alertedAt": at(-30), "estimatedFallAt": at(-90)})
	l2 := h.report("q-3", map[string]any{"alertedAt": at(-5)})
	red := h.report("q-4", map[string]any{"alertedAt": at(-1)})
	untriaged := h.report("q-5", map[string]any{"alertedAt": at(-2)})
	escalated := h.report("q-6", map[string]any{"alertedAt": at(-20)})
	dispatchedL2 := h.report("q-7", map[string]any{"alertedAt": at(-40)})
	done := h.report("q-8", map[string]any{"alertedAt": at(-50)})
	closed := h.report("q-9", map[string]any{"alertedAt": at(-60)})
	h.triage(l1Recent, "UNINJURED")
	h.triage(l1Long, "UNINJURED")
	h.triage(l2, "MINOR_INJURY")
	h.triage(red, "UNINJURED", "EXTREMITIES_COLD_BLUE")
	h.triage(escalated, "INJURED")
	h.step("escalateFallTo999", "EscalateFallTo999Input", map[string]any{"incidentId": escalated})
	h.triage(dispatchedL2, "MINOR_INJURY")
	h.dispatch(dispatchedL2, "ucr-21")
	h.triage(done, "UNINJURED")
	h.step("escalateFallTo999", "EscalateFallTo999Input", map[string]any{"incidentId": done})
	h.step("recordFallOutcome", "RecordFallOutcomeInput", map[string]any{"incidentId": done, "outcome": "CONVEYED"})
	h.step("closeFall", "CloseFallInput", map[string]any{"incidentId": closed, "reason": "NO_FALL"})

	d := h.ok(dispatcher, `{ fallsQueue { id risk } }`, nil)
	want := []string{escalated, red, untriaged, dispatchedL2, l2, l1Long, l1Recent, done}
	names := map[string]string{l1Recent: "l1Recent", l1Long: "l1Long", l2: "l2", red: "red", untriaged: "untriaged", escalated: "escalated", dispatchedL2: "dispatchedL2", done: "done", closed: "closed"}
	q := d["fallsQueue"].([]any)
	var got []string
	for _, e := range q {
		got = append(got, names[get(e, "id").(string)])
	}
	var wantNames []string
	for _, id := range want {
		wantNames = append(wantNames, names[id])
	}
	if len(got) != len(wantNames) {
		t.Fatalf("queue %v, want %v", got, wantNames)
	}
	for i := range got {
		if got[i] != wantNames[i] {
			t.Fatalf("queue %v, want %v", got, wantNames)
		}
	}
}

func TestTimeOnFloor_runs_from_the_fall_until_the_lift_and_breaches_after_an_hour(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-14")
	id := h.report("tof-1", map[string]any{"estimatedFallAt": t0.Add(-50 * time.Minute).Format(time.RFC3339)})
	unknownFall := h.report("tof-2", nil) // counts from the alert (t0)
	inc := h.incident(id)
	if inc["timeOnFloorMinutes"] != float64(50) || inc["onFloorOverOneHour"] != false || inc["breachAt"] != "2026-11-23T09:10:00Z" || inc["onFloorSince"] != "2026-11-23T08:10:00Z" {
		t.Fatalf("at t0: %v", inc)
	}
	over := func() []string {
		var ids []string
		for _, e := range h.ok(dispatcher, `{ fallsOverOneHour { id timeOnFloorMinutes } }`, nil)["fallsOverOneHour"].([]any) {
			ids = append(ids, get(e, "id").(string))
		}
		return ids
	}
	if o := over(); len(o) != 0 {
		t.Fatalf("over an hour at t0: %v", o)
	}

	h.clock.Advance(11 * time.Minute) // 61 minutes on the floor
	inc = h.incident(id)
	if inc["timeOnFloorMinutes"] != float64(61) || inc["onFloorOverOneHour"] != true || inc["onFloorClockRunning"] != true {
		t.Fatalf("at t0+11m: %v", inc)
	}
	if o := over(); len(o) != 1 || o[0] != id {
		t.Fatalf("over an hour: %v", o)
	}
	if u := h.incident(unknownFall); u["timeOnFloorMinutes"] != float64(11) {
		t.Fatalf("from the alert: %v", u)
	}

	h.triage(id, "UNINJURED")
	h.dispatch(id, "falls-14")
	h.clock.Advance(14 * time.Minute)
	h.step("responderOnScene", "ResponderOnSceneInput", map[string]any{"incidentId": id, "liftedAt": h.clock.Now().Format(time.RFC3339)})
	h.clock.Advance(3 * time.Hour)
	inc = h.incident(id)
	// Stopped at the lift: 75 minutes, whatever the clock says now.
	if inc["timeOnFloorMinutes"] != float64(75) || inc["onFloorClockRunning"] != false || inc["onFloorOverOneHour"] != true {
		t.Fatalf("after the lift: %v", inc)
	}
	// A lifted patient is still a breach while the incident is open.
	if o := over(); len(o) != 2 || o[0] != unknownFall {
		t.Fatalf("over an hour after the lift, longest first: %v", o)
	}
}
