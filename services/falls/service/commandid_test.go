package service_test

import (
	"testing"
)

func TestCommandID_repeat_returns_the_first_result_and_writes_nothing(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-14")
	first := h.report("c-repeat-1", nil)
	if again := h.report("c-repeat-1", map[string]any{"localityId": "tamworth"}); again != first {
		t.Fatalf("repeat opened %s, first %s", again, first)
	}
	if h.incident(first)["localityId"] != "leek" {
		t.Fatal("the repeat changed the incident")
	}
	stream := "fallincident-" + first
	if n := h.streamLen(stream); n != 1 {
		t.Fatalf("%d events after a repeated report", n)
	}
	tq := `mutation($in: TriageFallInput!, $c: String) { triageFall(input: $in, commandId: $c) { status } }`
	in := map[string]any{"incidentId": first, "injury": "UNINJURED", "redFlags": []string{}}
	h.ok(dispatcher, tq, map[string]any{"in": in, "c": "c-repeat-2"})
	// The same commandId with other answers is the same command: answered
	// as the first, nothing written.
	in2 := map[string]any{"incidentId": first, "injury": "MINOR_INJURY", "redFlags": []string{}}
	if d := h.ok(dispatcher, tq, map[string]any{"in": in2, "c": "c-repeat-2"}); get(d, "triageFall.status") != "QUEUED" {
		t.Fatalf("repeat %v", d)
	}
	if n := h.streamLen(stream); n != 2 {
		t.Fatalf("%d events after a repeated triage", n)
	}
	if h.incident(first)["requiredResponse"] != "LEVEL_1" {
		t.Fatal("the repeat re-triaged")
	}

	dvars := map[string]any{"in": map[string]any{"incidentId": first, "responderId": "falls-14"}, "c": "c-repeat-3"}
	d1 := h.ok(dispatcher, dispatchMutation, dvars)
	d2 := h.ok(dispatcher, dispatchMutation, dvars)
	if get(d1, "dispatchResponder.dispatch.responderId") != "falls-14" || get(d2, "dispatchResponder.status") != "DISPATCHED" {
		t.Fatalf("dispatch %v, repeat %v", d1, d2)
	}
	if n, r := h.streamLen(stream), h.streamLen("fallresponder-falls-14"); n != 3 || r != 2 {
		t.Fatalf("%d incident and %d unit events after a repeated dispatch", n, r)
	}
}
