package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"

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

// Break-glass opens one patient's record in another locality (an incident
// by ID, the patient's falls and timeline), never that locality's lists
// nor the queue, not an incident through the responders list, and no
// command.
func TestAccess_break_glass_opens_a_patient_not_a_locality(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-14")
	tamworth := h.report("g-1", map[string]any{"localityId": "tamworth", "patient": map[string]any{"nhsNumber": "9434765919"}})
	h.triage(tamworth, "UNINJURED")
	h.dispatch(tamworth, "falls-14")
	glass := leekClinician
	glass.BreakGlassReason = "patient collapsed at Leek walk-in centre"

	h.ok(glass, `query($id: ID!) { fallIncident(id: $id) { id } }`, map[string]any{"id": tamworth})
	d := h.ok(glass, `{ patient(nhsNumber: "9434765919") { falls { id } timeline { summary } } }`, nil)
	if len(get(d, "patient.falls").([]any)) != 1 || len(get(d, "patient.timeline").([]any)) == 0 {
		t.Fatalf("break-glass does not open the patient's falls: %v", d)
	}
	h.fails(&glass, "FORBIDDEN", `{ locality(id: "tamworth") { openFalls { id } } }`, nil)
	h.fails(&glass, "FORBIDDEN", `{ locality(id: "tamworth") { summary { openFalls } } }`, nil)
	d = h.ok(glass, `{ fallsQueue { id } fallsOverOneHour { id } responders { id incident { id } } }`, nil)
	if b, _ := json.Marshal(d); strings.Contains(string(b), tamworth) {
		t.Fatalf("break-glass widened a list: %s", b)
	}
	h.fails(&glass, "FORBIDDEN", `mutation($id: ID!) { recordFallLift(input: {incidentId: $id}) { id } }`, map[string]any{"id": tamworth})
}

// Locality.summary never refuses (a gateway may resolve the shared field
// here for another service's counts); the falls counts are the falls
// response's and the locality's clinicians'.
func TestLocality_summary_never_refuses_its_falls_counts_do(t *testing.T) {
	h := newHarness(t)
	h.report("s-1", map[string]any{"localityId": "tamworth"})
	fed, err := h.svc.Subgraph.Federated()
	if err != nil {
		t.Fatal(err)
	}
	entities := func(v auth.Viewer, sel string) *graphql.Result {
		return graphql.Do(graphql.Params{Schema: fed, Context: auth.WithViewer(context.Background(), v),
			RequestString:  `query($r: [_Any!]!) { _entities(representations: $r) { ... on LocalitySummary { ` + sel + ` } } }`,
			VariableValues: map[string]any{"r": []any{map[string]any{"__typename": "LocalitySummary", "localityId": "tamworth"}}}})
	}
	tamClinician := auth.Viewer{Subject: "u-tam-1", Role: auth.ICTClinician, Localities: []string{"tamworth"}}
	for _, v := range []auth.Viewer{dispatcher, tamClinician, leekClinician, bedManager} {
		if d := h.ok(v, `{ locality(id: "tamworth") { summary { localityId } } }`, nil); get(d, "locality.summary.localityId") != "tamworth" {
			t.Fatalf("%s: the container %v", v.Role, d)
		}
		if res := entities(v, "localityId"); len(res.Errors) > 0 {
			t.Fatalf("%s: the LocalitySummary entity: %v", v.Role, res.Errors)
		}
	}
	for _, v := range []auth.Viewer{dispatcher, tamClinician} {
		if d := h.ok(v, `{ locality(id: "tamworth") { summary { openFalls } } }`, nil); get(d, "locality.summary.openFalls") != float64(1) {
			t.Fatalf("%s: %v", v.Role, d)
		}
		if res := entities(v, "openFalls"); len(res.Errors) > 0 {
			t.Fatalf("%s: the entity's counts: %v", v.Role, res.Errors)
		}
	}
	for _, v := range []auth.Viewer{leekClinician, bedManager} {
		h.fails(&v, "FORBIDDEN", `{ locality(id: "tamworth") { summary { openFalls } } }`, nil)
		if res := entities(v, "openFalls"); len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != "FORBIDDEN" {
			t.Fatalf("%s: the entity's counts: %v", v.Role, res.Errors)
		}
	}
}
