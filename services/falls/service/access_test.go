package service_test

import (
	"testing"

	"carecoord/pkg/auth"
)

func TestAccess_clinicians_read_their_localities_falls_only(t *testing.T) {
	h := newHarness(t)
	leek := h.report("a-1", map[string]any{"localityId": "leek"})
	tamworth := h.report("a-2", map[string]any{"localityId": "tamworth", "patient": map[string]any{"nhsNumber": "9434765919"}})
	q := `query($id: ID!) { fallIncident(id: $id) { id } }`
	h.ok(leekClinician, q, map[string]any{"id": leek})
	h.fails(&leekClinician, "FORBIDDEN", q, map[string]any{"id": tamworth})
	h.fails(&leekClinician, "FORBIDDEN", `{ locality(id: "tamworth") { openFalls { id } } }`, nil)
	if d := h.ok(leekClinician, `{ fallsQueue { id } }`, nil); len(d["fallsQueue"].([]any)) != 1 {
		t.Fatalf("clinician's queue %v", d)
	}
	if d := h.ok(leekClinician, `{ patient(nhsNumber: "9434765919") { falls { id } timeline { summary } } }`, nil); len(get(d, "patient.falls").([]any)) != 0 || len(get(d, "patient.timeline").([]any)) != 0 {
		t.Fatalf("a Leek clinician saw a Tamworth patient's falls: %v", d)
	}
	// Clinicians read; they do not run the falls response.
	h.fails(&leekClinician, "FORBIDDEN", `mutation($id: ID!) { triageFall(input: {incidentId: $id, injury: UNINJURED, redFlags: []}) { id } }`, map[string]any{"id": leek})
	h.fails(&bedManager, "FORBIDDEN", `{ fallsQueue { id } }`, nil)
	h.fails(nil, "UNAUTHENTICATED", `{ responders { id } }`, nil)
	admin := auth.Viewer{Subject: "u-admin", Role: auth.Admin}
	h.ok(admin, q, map[string]any{"id": tamworth})
}

func TestLocality_open_falls_and_summary(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-14")
	a := h.report("l-1", map[string]any{"estimatedFallAt": "2026-11-23T07:30:00Z"})
	b := h.report("l-2", nil)
	h.report("l-3", map[string]any{"localityId": "tamworth"})
	h.triage(b, "UNINJURED")
	h.dispatch(b, "falls-14")
	h.step("responderOnScene", "ResponderOnSceneInput", map[string]any{"incidentId": b, "liftedAt": "2026-11-23T09:00:00Z"})
	h.step("recordFallOutcome", "RecordFallOutcomeInput", map[string]any{"incidentId": b, "outcome": "LIFTED_LEFT_AT_HOME"})
	h.step("closeFall", "CloseFallInput", map[string]any{"incidentId": b})
	d := h.ok(leekClinician, `{ locality(id: "leek") { id openFalls { id } summary { localityId openFalls fallsOnFloorOverOneHour fallsAwaitingResponder fallsLast30Days fallsLiftedWithinOneHourPercent } } }`, nil)
	open := get(d, "locality.openFalls").([]any)
	if len(open) != 1 || get(open[0], "id") != a {
		t.Fatalf("open falls %v", open)
	}
	s := get(d, "locality.summary").(map[string]any)
	if s["localityId"] != "leek" || s["openFalls"] != float64(1) || s["fallsOnFloorOverOneHour"] != float64(1) || s["fallsAwaitingResponder"] != float64(1) ||
		s["fallsLast30Days"] != float64(2) || s["fallsLiftedWithinOneHourPercent"] != float64(100) {
		t.Fatalf("summary %v", s)
	}
}
