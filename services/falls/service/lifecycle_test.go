package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"carecoord/pkg/eventstore"
)

func TestFall_full_lifecycle_from_alert_to_close(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-14")
	id := h.report("c-report-1", map[string]any{
		"alertedAt":       "2026-11-23T08:55:00Z",
		"estimatedFallAt": "2026-11-23T08:40:00Z",
		"patient":         map[string]any{"nhsNumber": "943 476 5919", "givenName": "Jean", "familyName": "Plant", "gpPractice": "Z10033"},
	})
	inc := h.incident(id)
	if inc["status"] != "ALERT_RECEIVED" || inc["risk"] != "UNTRIAGED" || get(inc, "patient.nhsNumber") != "9434765919" || get(inc, "patient.nhsNumberVerification") != "UNVERIFIED" {
		t.Fatalf("reported: %v", inc)
	}

	tri := h.triage(id, "UNINJURED")
	if tri["status"] != "QUEUED" || tri["requiredResponse"] != "LEVEL_1" || tri["risk"] != "LEVEL_1" {
		t.Fatalf("triaged: %v", tri)
	}

	h.clock.Advance(5 * time.Minute)
	d := h.dispatch(id, "falls-14")
	if d["status"] != "DISPATCHED" || get(d, "dispatch.callSign") != "FALLS 14" || get(d, "responder.status") != "DISPATCHED" {
		t.Fatalf("dispatched: %v", d)
	}
	if r := h.responders()["falls-14"]; r["status"] != "DISPATCHED" || get(r, "incident.id") != id {
		t.Fatalf("responder after dispatch: %v", r)
	}

	h.clock.Advance(time.Minute)
	if e := h.step("responderEnRoute", "ResponderEnRouteInput", map[string]any{"incidentId": id}); e["status"] != "EN_ROUTE" {
		t.Fatalf("en route: %v", e)
	}
	h.clock.Advance(20 * time.Minute)
	os := h.step("responderOnScene", "ResponderOnSceneInput", map[string]any{"incidentId": id})
	if os["status"] != "ON_SCENE" || get(os, "responder.status") != "ON_SCENE" || os["onFloorClockRunning"] != true {
		t.Fatalf("on scene: %v", os)
	}
	h.clock.Advance(10 * time.Minute)
	lift := h.step("recordFallLift", "RecordFallLiftInput", map[string]any{"incidentId": id, "equipment": "Mangar ELK"})
	// 08:40 fall → 09:36 lift.
	if lift["liftedAt"] != "2026-11-23T09:36:00Z" || lift["timeOnFloorMinutes"] != float64(56) || lift["onFloorClockRunning"] != false || lift["onFloorOverOneHour"] != false {
		t.Fatalf("lift: %v", lift)
	}

	h.clock.Advance(5 * time.Minute)
	out := h.step("recordFallOutcome", "RecordFallOutcomeInput", map[string]any{"incidentId": id, "outcome": "REFERRED", "referTo": []string{"FALLS_PREVENTION", "ICT"}, "clinicalNeed": "second fall this month"})
	if out["status"] != "OUTCOME_RECORDED" || get(out, "outcome.outcome") != "REFERRED" || out["responder"] != nil {
		t.Fatalf("outcome: %v", out)
	}
	if r := h.responders()["falls-14"]; r["status"] != "AVAILABLE" || r["incident"] != nil {
		t.Fatalf("responder not released with the outcome: %v", r)
	}

	closed := h.step("closeFall", "CloseFallInput", map[string]any{"incidentId": id})
	if closed["status"] != "CLOSED" || closed["closeReason"] != "COMPLETED" || closed["timeOnFloorMinutes"] != float64(56) {
		t.Fatalf("closed: %v", closed)
	}

	// The published outcome is the agreed contract, with the patient block
	// and the patient's locality (their GP practice's).
	var outcome map[string]any
	evs, err := h.svc.Store.ReadStream(context.Background(), "fallincident-"+id, 0, eventstore.Forwards, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, strings.TrimPrefix(e.Type, "falls."))
		if e.Type == "falls.FallOutcomeRecorded.v1" {
			if err := json.Unmarshal(e.Data, &outcome); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := "FallReported.v1 FallTriaged.v1 FallResponderDispatched.v1 FallResponderEnRoute.v1 FallResponderOnScene.v1 FallPatientLifted.v1 FallOutcomeRecorded.v1 FallClosed.v1"
	if strings.Join(types, " ") != want {
		t.Fatalf("events %v", types)
	}
	if outcome["incidentId"] != id || outcome["locality"] != "leek" || outcome["outcome"] != "REFERRED" ||
		get(outcome, "patient.nhsNumber") != "9434765919" || get(outcome, "patient.gpPractice") != "Z10033" || get(outcome, "patient.dateOfBirth") != nil ||
		outcome["recordedBy"] != dispatcher.Subject || outcome["recordedAt"] != "2026-11-23T09:41:00Z" || len(outcome["referTo"].([]any)) != 2 {
		t.Fatalf("published outcome %v", outcome)
	}
	if len(outcome) != 8 {
		t.Fatalf("published outcome has fields beyond the contract: %v", outcome)
	}

	// The patient's view: falls and a timeline in order.
	p := h.ok(leekClinician, `{ patient(nhsNumber: "9434765919") { falls { id status } timeline { at service type summary refId } } }`, nil)
	if f := get(p, "patient.falls").([]any); len(f) != 1 || get(f[0], "id") != id {
		t.Fatalf("patient falls %v", p)
	}
	tl := get(p, "patient.timeline").([]any)
	if len(tl) != 8 || get(tl[0], "summary") != "Fall reported (telecare alarm)" || get(tl[0], "type") != "FallReported" || get(tl[0], "service") != "falls" || get(tl[0], "refId") != id ||
		get(tl[7], "summary") != "Fall incident closed" || get(tl[6], "summary") != "Fall outcome: referred on" {
		t.Fatalf("timeline %v", tl)
	}
	for i := 1; i < len(tl); i++ {
		if get(tl[i-1], "at").(string) > get(tl[i], "at").(string) {
			t.Fatalf("timeline out of order at %d: %v", i, tl)
		}
	}
}

func TestFall_red_flag_must_be_escalated_and_a_falls_unit_is_refused(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-19", "ucr-23")
	id := h.report("c-red-1", map[string]any{"source": "NHS_111", "localityId": "burton-upon-trent"})
	tri := h.triage(id, "UNINJURED", "TRAUMA_HEAD_NECK_BACK")
	if tri["status"] != "TRIAGED" || tri["requiredResponse"] != "AMBULANCE_999" || tri["risk"] != "RED_FLAGS" {
		t.Fatalf("triaged: %v", tri)
	}
	before := h.streamLen("fallincident-" + id)
	for _, unit := range []string{"falls-19", "ucr-23"} {
		e := h.fails(&dispatcher, "BAD_USER_INPUT", dispatchMutation, map[string]any{"in": map[string]any{"incidentId": id, "responderId": unit}})
		if !strings.Contains(e.Message, "escalated to 999 (TRIAGED)") {
			t.Fatalf("refusal says %q", e.Message)
		}
	}
	// Nothing written: not on the incident, not on the units.
	if h.streamLen("fallincident-"+id) != before || h.streamLen("fallresponder-falls-19") != 1 || h.streamLen("fallresponder-ucr-23") != 1 {
		t.Fatal("a refused dispatch wrote something")
	}
	if r := h.responders()["falls-19"]; r["status"] != "AVAILABLE" {
		t.Fatalf("unit %v", r)
	}
	esc := h.step("escalateFallTo999", "EscalateFallTo999Input", map[string]any{"incidentId": id, "ambulanceReference": "WM-2611-0042"})
	if esc["status"] != "ESCALATED_999" || get(esc, "escalation.lineKeptOpen") != true || get(esc, "escalation.ambulanceReference") != "WM-2611-0042" {
		t.Fatalf("escalated: %v", esc)
	}
	h.clock.Advance(40 * time.Minute)
	out := h.step("recordFallOutcome", "RecordFallOutcomeInput", map[string]any{"incidentId": id, "outcome": "CONVEYED"})
	if out["status"] != "OUTCOME_RECORDED" || out["onFloorClockRunning"] != false || out["timeOnFloorMinutes"] != float64(40) {
		t.Fatalf("outcome: %v", out)
	}
}

func TestFall_escalation_stands_down_a_unit_on_its_way_and_frees_it(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-14")
	id := h.report("c-esc-1", nil)
	h.triage(id, "UNINJURED")
	h.dispatch(id, "falls-14")
	esc := h.step("escalateFallTo999", "EscalateFallTo999Input", map[string]any{"incidentId": id, "reason": "caller reports chest pain"})
	if esc["status"] != "ESCALATED_999" || esc["responder"] != nil {
		t.Fatalf("escalated: %v", esc)
	}
	if r := h.responders()["falls-14"]; r["status"] != "AVAILABLE" {
		t.Fatalf("unit not freed: %v", r)
	}
}

func TestFall_cancelled_dispatch_requeues_the_incident_and_frees_the_unit(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-14", "falls-11")
	id := h.report("c-cancel-1", nil)
	h.triage(id, "UNINJURED")
	h.dispatch(id, "falls-14")
	c := h.step("cancelFallDispatch", "CancelFallDispatchInput", map[string]any{"incidentId": id, "reason": "a closer unit came free"})
	if c["status"] != "QUEUED" || c["dispatch"] != nil {
		t.Fatalf("cancelled: %v", c)
	}
	if r := h.responders()["falls-14"]; r["status"] != "AVAILABLE" {
		t.Fatalf("unit not freed: %v", r)
	}
	if d := h.dispatch(id, "falls-11"); get(d, "dispatch.responderId") != "falls-11" {
		t.Fatalf("re-dispatch: %v", d)
	}
}

func TestFall_illegal_steps_are_BAD_USER_INPUT_naming_the_state(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-14")
	id := h.report("c-illegal-1", nil)
	step := func(mutation, inputType string, in map[string]any) string {
		t.Helper()
		q := `mutation($in: ` + inputType + `!) { ` + mutation + `(input: $in) { id } }`
		return h.fails(&dispatcher, "BAD_USER_INPUT", q, map[string]any{"in": in}).Message
	}
	if m := step("dispatchResponder", "DispatchResponderInput", map[string]any{"incidentId": id, "responderId": "falls-14"}); m != "cannot dispatch a responder: it is awaiting triage (ALERT_RECEIVED)" {
		t.Fatalf("%q", m)
	}
	h.triage(id, "UNINJURED")
	for _, c := range []struct{ mutation, input, want string }{
		{"responderEnRoute", "ResponderEnRouteInput", "cannot record the responder en route: it is queued for a level 1 responder (QUEUED)"},
		{"responderOnScene", "ResponderOnSceneInput", "cannot record the responder on scene: it is queued for a level 1 responder (QUEUED)"},
		{"closeFall", "CloseFallInput", "cannot close the incident before its outcome is recorded: it is queued for a level 1 responder (QUEUED)"},
	} {
		if m := step(c.mutation, c.input, map[string]any{"incidentId": id}); m != c.want {
			t.Fatalf("%s: %q", c.mutation, m)
		}
	}
	if m := step("recordFallOutcome", "RecordFallOutcomeInput", map[string]any{"incidentId": id, "outcome": "DECLINED"}); !strings.Contains(m, "(QUEUED)") {
		t.Fatalf("%q", m)
	}
	h.step("closeFall", "CloseFallInput", map[string]any{"incidentId": id, "reason": "DUPLICATE_ALERT"})
	if m := step("dispatchResponder", "DispatchResponderInput", map[string]any{"incidentId": id, "responderId": "falls-14"}); m != "cannot dispatch a responder: it is closed (CLOSED)" {
		t.Fatalf("%q", m)
	}
	if m := step("triageFall", "TriageFallInput", map[string]any{"incidentId": id, "injury": "UNINJURED", "redFlags": []string{}}); !strings.Contains(m, "closed (CLOSED)") {
		t.Fatalf("%q", m)
	}
	// Bad input names its field.
	e := h.fails(&dispatcher, "BAD_USER_INPUT", `mutation($in: ReportFallInput!) { reportFall(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"source": "TELECARE", "address": map[string]any{"text": "1 High St"}, "localityId": "leek", "patient": map[string]any{"nhsNumber": "9434765918"}}})
	if e.Extensions["field"] != "patient.nhsNumber" {
		t.Fatalf("error %v", e)
	}
	h.fails(&dispatcher, "NOT_FOUND", `mutation { triageFall(input: {incidentId: "nope", injury: UNINJURED, redFlags: []}) { id } }`, nil)

	// A dispatch time before the triage is refused before the unit is
	// committed: nothing is written to its stream.
	other := h.report("c-illegal-2", nil)
	h.triage(other, "UNINJURED")
	e = h.fails(&dispatcher, "BAD_USER_INPUT", dispatchMutation, map[string]any{"in": map[string]any{"incidentId": other, "responderId": "falls-14", "dispatchedAt": "2026-11-23T08:00:00Z"}})
	if e.Extensions["field"] != "dispatchedAt" || h.streamLen("fallresponder-falls-14") != 1 {
		t.Fatalf("error %v; unit stream %d events", e, h.streamLen("fallresponder-falls-14"))
	}
}

func TestFall_a_level_2_incident_needs_a_level_2_unit(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-15", "ucr-22")
	id := h.report("c-l2-1", map[string]any{"localityId": "stafford"})
	if tri := h.triage(id, "MINOR_INJURY"); tri["requiredResponse"] != "LEVEL_2" {
		t.Fatalf("triage %v", tri)
	}
	e := h.fails(&dispatcher, "BAD_USER_INPUT", dispatchMutation, map[string]any{"in": map[string]any{"incidentId": id, "responderId": "falls-15"}})
	if e.Extensions["field"] != "responderId" || e.Extensions["reason"] != "responder-level" {
		t.Fatalf("error %v", e)
	}
	if d := h.dispatch(id, "ucr-22"); get(d, "dispatch.level") != "LEVEL_2" {
		t.Fatalf("dispatch %v", d)
	}
}

func TestFall_unknown_patient_is_linked_later_and_then_referred(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-18")
	id := h.report("c-link-1", map[string]any{"localityId": "tamworth", "source": "AMBULANCE_999_TRANSFER"})
	inc := h.incident(id)
	if get(inc, "patient.nhsNumber") != nil || get(inc, "patient.nhsNumberVerification") != "NOT_KNOWN" || inc["localityId"] != "tamworth" {
		t.Fatalf("unknown patient: %v", inc)
	}
	h.triage(id, "UNINJURED")
	h.dispatch(id, "falls-18")
	h.step("responderOnScene", "ResponderOnSceneInput", map[string]any{"incidentId": id, "liftedAt": "2026-11-23T09:00:00Z"})
	// A referral for nobody in particular could not be acted on.
	e := h.fails(&dispatcher, "BAD_USER_INPUT", `mutation($in: RecordFallOutcomeInput!) { recordFallOutcome(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"incidentId": id, "outcome": "REFERRED", "referTo": []string{"ICT"}}})
	if e.Extensions["reason"] != "patient-not-identified" {
		t.Fatalf("error %v", e)
	}
	// Linked with a Leek GP practice: the patient's locality follows it.
	l := h.step("linkFallPatient", "LinkFallPatientInput", map[string]any{"incidentId": id, "patient": map[string]any{
		"nhsNumber": "9434765919", "nhsNumberVerification": "VERIFIED", "givenName": "Keith", "familyName": "Bagnall", "gpPractice": "Z10033"}})
	if l["localityId"] != "leek" || l["incidentLocalityId"] != "tamworth" || get(l, "patient.nhsNumberVerification") != "VERIFIED" {
		t.Fatalf("linked: %v", l)
	}
	h.step("recordFallOutcome", "RecordFallOutcomeInput", map[string]any{"incidentId": id, "outcome": "REFERRED", "referTo": []string{"ICT"}})
	// Leek's clinician now sees it; its steps before the link are on the
	// patient's timeline too.
	p := h.ok(leekClinician, `{ patient(nhsNumber: "9434765919") { falls { id localityId } timeline { summary } } }`, nil)
	if len(get(p, "patient.falls").([]any)) != 1 || get(p, "patient.timeline.0.summary") != "Fall reported (999 transfer)" {
		t.Fatalf("patient %v", p)
	}
}
