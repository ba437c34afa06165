package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/auth"
	"carecoord/services/caseload/app"
	"carecoord/services/caseload/domain"
)

func TestAccess_other_locality_sees_nothing_and_may_change_nothing(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-access", jean, "leek")
	h.activate(id, "2026-04-01")
	before := streamLen(t, h.svc.Store, domain.Category+"-"+id)

	if ep := h.ok(tamNurse, episodeQuery, map[string]any{"id": id})["caseloadEpisode"]; ep != nil {
		t.Fatalf("Tamworth reads a Leek episode: %v", ep)
	}
	h.fails(tamNurse, "FORBIDDEN", assignKeyworker, in("episodeId", id, "keyworkerId", "clin-tamworth-1", "keyworkerName", "Tom Dale"))
	h.fails(tamNurse, "FORBIDDEN", discharge, in("episodeId", id, "outcome", "GOALS_MET"))
	h.fails(tamNurse, "FORBIDDEN", `{ locality(id: "leek") { caseload { id } } }`, nil)
	h.fails(tamNurse, "FORBIDDEN", `{ keyworkerCaseload(localityId: "leek") { episodes } }`, nil)
	h.fails(tamNurse, "FORBIDDEN", `{ locality(id: "leek") { summary { caseloadSize } } }`, nil)
	p := h.ok(tamNurse, `query($n: String!) { patient(nhsNumber: $n) { caseloadEpisodes { id } timeline { at } } }`, map[string]any{"n": jean})
	if len(path(p, "patient", "caseloadEpisodes").([]any)) != 0 || len(path(p, "patient", "timeline").([]any)) != 0 {
		t.Fatalf("Tamworth sees a Leek patient's caseload: %v", p)
	}
	// A repeated commandId is no way round it either.
	h.ok(leekNurse, discharge, map[string]any{"in": map[string]any{"episodeId": id, "outcome": "GOALS_MET"}, "cmd": "cmd-access-1"})
	h.fails(tamNurse, "FORBIDDEN", discharge, map[string]any{"in": map[string]any{"episodeId": id, "outcome": "GOALS_MET"}, "cmd": "cmd-access-1"})
	if after := streamLen(t, h.svc.Store, domain.Category+"-"+id); after != before+1 {
		t.Fatalf("%d events written, want only Leek's discharge", after-before)
	}

	// Roles without caseload access, and no identity at all.
	h.fails(bedMgr, "FORBIDDEN", episodeQuery, map[string]any{"id": id})
	h.fails(bedMgr, "FORBIDDEN", `{ locality(id: "leek") { caseload { id } } }`, nil)
	res := graphql.Do(graphql.Params{Schema: h.schema, RequestString: `query($id: ID!) { caseloadEpisode(id: $id) { id } }`,
		VariableValues: map[string]any{"id": id}, Context: context.Background()})
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Fatalf("anonymous: %+v", res.Errors)
	}

	// Admin reaches every locality.
	if ep := h.ok(admin, episodeQuery, map[string]any{"id": id})["caseloadEpisode"]; ep == nil {
		t.Fatal("admin cannot read the episode")
	}
}

func TestTransfer_to_another_locality_opens_an_episode_there_out_of_the_first_teams_reach(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-transfer", jean, "leek")
	h.activate(id, "2026-04-01")
	h.ok(leekNurse, scheduleVisit, in("episodeId", id, "plannedAt", "2026-03-03T10:00:00Z", "purpose", "REVIEW"))

	ep := h.ok(leekNurse, transferEpisode, in("episodeId", id, "toLocalityId", "tamworth"))["transferEpisode"].(map[string]any)
	if ep["status"] != "TRANSFERRED" || ep["transferredToLocalityId"] != "tamworth" || path(ep["visits"].([]any)[0].(map[string]any), "status") != "CANCELLED" {
		t.Fatalf("transferred: %v", ep)
	}
	newID := app.EpisodeIDForTransfer(id)
	eventually(t, "the Tamworth episode", func() bool { _, ok := h.svc.ReadModel.Episode(newID, h.clock.Now()); return ok })

	got := h.ok(tamNurse, `query($id: ID!) { caseloadEpisode(id: $id) { status localityId nhsNumber transferredFromEpisodeId keyworker { id } history { summary } } }`,
		map[string]any{"id": newID})["caseloadEpisode"].(map[string]any)
	if got["status"] != "AWAITING_ALLOCATION" || got["localityId"] != "tamworth" || got["nhsNumber"] != jean || got["transferredFromEpisodeId"] != id || got["keyworker"] != nil {
		t.Fatalf("Tamworth's episode: %v", got)
	}
	if s := path(got["history"].([]any)[0].(map[string]any), "summary"); s != "Caseload episode opened on transfer from Leek" {
		t.Fatalf("summary %v", s)
	}
	// Leek no longer reaches the patient's care; Tamworth takes it on.
	if ep := h.ok(leekNurse, episodeQuery, map[string]any{"id": newID})["caseloadEpisode"]; ep != nil {
		t.Fatalf("Leek reads Tamworth's episode: %v", ep)
	}
	h.fails(leekNurse, "FORBIDDEN", assignKeyworker, in("episodeId", newID, "keyworkerId", "clin-leek-1", "keyworkerName", "Alice Hill"))
	h.fails(leekNurse, "BAD_USER_INPUT", assignKeyworker, in("episodeId", id, "keyworkerId", "clin-leek-2", "keyworkerName", "Bob Stone"))
	h.ok(tamNurse, assignKeyworker, in("episodeId", newID, "keyworkerId", "clin-tamworth-1", "keyworkerName", "Tom Dale"))
	p := h.ok(leekNurse, `query($n: String!) { patient(nhsNumber: $n) { caseloadEpisodes { id status } } }`, map[string]any{"n": jean})
	if eps := path(p, "patient", "caseloadEpisodes").([]any); len(eps) != 1 || eps[0].(map[string]any)["status"] != "TRANSFERRED" {
		t.Fatalf("Leek's view of the patient: %v", eps)
	}
	// The admin's patient view has both, newest first, and one timeline.
	p = h.ok(admin, `query($n: String!) { patient(nhsNumber: $n) { caseloadEpisodes { id } timeline { at service type summary refId } } }`, map[string]any{"n": jean})
	eps := path(p, "patient", "caseloadEpisodes").([]any)
	if len(eps) != 2 || eps[0].(map[string]any)["id"] != newID {
		t.Fatalf("admin's view: %v", eps)
	}
	tl := path(p, "patient", "timeline").([]any)
	last := ""
	for _, e := range tl {
		e := e.(map[string]any)
		if e["service"] != "caseload" || e["at"].(string) < last {
			t.Fatalf("timeline out of order or mislabelled: %v", tl)
		}
		last = e["at"].(string)
	}
}

func TestTransfer_to_another_service_opens_nothing(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-service", jean, "leek")
	h.allocate(id)
	ep := h.ok(leekNurse, transferEpisode, in("episodeId", id, "toService", "Community mental health team"))["transferEpisode"].(map[string]any)
	if ep["status"] != "TRANSFERRED" {
		t.Fatalf("%v", ep)
	}
	eventually(t, "the bus to catch up", func() bool { return h.svc.CaughtUp() == nil })
	if _, ok := h.svc.ReadModel.Episode(app.EpisodeIDForTransfer(id), h.clock.Now()); ok {
		t.Fatal("a transfer to another service opened an episode")
	}
}

// The reactions act for the system: their viewer is not a user's.
func TestReactions_run_as_the_system(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-system", jean, "leek")
	ep, _ := h.svc.ReadModel.Episode(id, time.Now())
	if ep.History[0].Actor != auth.SystemViewer("caseload.OpenEpisodeOnReferralAccepted").Subject {
		t.Fatalf("opened by %q", ep.History[0].Actor)
	}
}

// Break-glass opens one patient's record in another locality (the
// patient's episodes, their timeline, an episode by ID), never that
// locality's lists, and no command.
func TestAccess_break_glass_opens_a_patient_not_a_locality(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-glass", jean, "leek")
	h.activate(id, "2026-04-01")
	glass := tamNurse
	glass.BreakGlassReason = "patient collapsed in Tamworth clinic"

	if ep := h.ok(glass, episodeQuery, map[string]any{"id": id})["caseloadEpisode"]; ep == nil {
		t.Fatal("break-glass does not open the episode by ID")
	}
	p := h.ok(glass, `query($n: String!) { patient(nhsNumber: $n) { caseloadEpisodes { id } timeline { at } } }`, map[string]any{"n": jean})
	if len(path(p, "patient", "caseloadEpisodes").([]any)) != 1 || len(path(p, "patient", "timeline").([]any)) == 0 {
		t.Fatalf("break-glass does not open the patient's caseload: %v", p)
	}
	h.fails(glass, "FORBIDDEN", `{ locality(id: "leek") { caseload { id } } }`, nil)
	h.fails(glass, "FORBIDDEN", `{ keyworkerCaseload(localityId: "leek") { episodes } }`, nil)
	h.fails(glass, "FORBIDDEN", `{ locality(id: "leek") { summary { caseloadSize } } }`, nil)
	h.fails(glass, "FORBIDDEN", assignKeyworker, in("episodeId", id, "keyworkerId", "clin-tamworth-1", "keyworkerName", "Tom Dale"))
	// A bed manager gains nothing by giving a reason.
	beds := bedMgr
	beds.BreakGlassReason = "please"
	h.fails(beds, "FORBIDDEN", episodeQuery, map[string]any{"id": id})
}

// Locality.summary never refuses (a gateway may resolve the shared field
// here for another service's counts); caseload's counts are the ICT's.
func TestAccess_locality_summary_never_refuses_its_caseload_counts_do(t *testing.T) {
	h := newHarness(t)
	h.openEpisode("ref-summary", jean, "leek")
	fed, err := h.svc.Subgraph.Federated()
	if err != nil {
		t.Fatal(err)
	}
	entities := func(v auth.Viewer, sel string) *graphql.Result {
		return graphql.Do(graphql.Params{Schema: fed, Context: auth.WithViewer(context.Background(), v),
			RequestString:  `query($r: [_Any!]!) { _entities(representations: $r) { ... on LocalitySummary { ` + sel + ` } } }`,
			VariableValues: map[string]any{"r": []any{map[string]any{"__typename": "LocalitySummary", "localityId": "leek"}}}})
	}
	dispatcher := auth.Viewer{Subject: "fd-1", Role: auth.FallsDispatcher}
	for _, v := range []auth.Viewer{leekNurse, tamNurse, bedMgr, dispatcher, admin} {
		if d := h.ok(v, `{ locality(id: "leek") { summary { localityId } } }`, nil); path(d, "locality", "summary", "localityId") != "leek" {
			t.Fatalf("%s: the container %v", v.Role, d)
		}
		if res := entities(v, "localityId"); len(res.Errors) > 0 {
			t.Fatalf("%s: the LocalitySummary entity: %v", v.Role, res.Errors)
		}
	}
	for _, v := range []auth.Viewer{leekNurse, admin} {
		if d := h.ok(v, `{ locality(id: "leek") { summary { caseloadSize } } }`, nil); path(d, "locality", "summary", "caseloadSize") != float64(1) {
			t.Fatalf("%s: %v", v.Role, d)
		}
		if res := entities(v, "caseloadSize"); len(res.Errors) > 0 {
			t.Fatalf("%s: the entity's counts: %v", v.Role, res.Errors)
		}
	}
	for _, v := range []auth.Viewer{tamNurse, bedMgr, dispatcher} {
		h.fails(v, "FORBIDDEN", `{ locality(id: "leek") { summary { caseloadSize } } }`, nil)
		if res := entities(v, "caseloadSize"); len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != "FORBIDDEN" {
			t.Fatalf("%s: the entity's counts: %v", v.Role, res.Errors)
		}
	}
}
