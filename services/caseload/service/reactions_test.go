package service_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/services/caseload/app"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/reactions"
	"carecoord/services/caseload/service"
)

func patientBlock(nhs any) map[string]any {
	return map[string]any{"nhsNumber": nhs, "nhsNumberVerification": "VERIFIED", "givenName": "Jean", "familyName": "Smith",
		"dateOfBirth": "1941-03-02", "postcode": "ST13 5BQ", "gpPractice": nil}
}

func admitted(stayID string, nhs any, at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{"stayId": stayID, "bedRequestId": uuid.NewString(), "patient": patientBlock(nhs), "locality": "leek",
		"hospitalId": "RJF04", "wardId": "ward-1", "bedId": "bed-7", "admittedAt": at.Format(time.RFC3339)})
	return b
}

func dischargedFromBed(stayID string, nhs any, at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{"stayId": stayID, "patient": patientBlock(nhs), "locality": "leek", "pathway": "P1",
		"destination": "Home with new support", "followUp": map[string]any{"ictReferral": false, "reason": nil}, "dischargedAt": at.Format(time.RFC3339)})
	return b
}

// countTypes counts the events of a type in the whole log.
func countTypes(t *testing.T, s eventstore.Store, typ string) int {
	t.Helper()
	evs, err := s.ReadAll(context.Background(), eventstore.Start, eventstore.Forwards, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// replay runs a second instance of the service over the same log with
// fresh checkpoints, as after losing them, and waits until it has handled
// everything.
func replay(t *testing.T, h *harness) *service.Service {
	t.Helper()
	again := service.StartForTest(t, h.svc.Store, checkpoint.NewMemory(), service.WithClock(h.clock.Now))
	eventually(t, "the second instance to catch up", func() bool { return again.CaughtUp() == nil })
	return again
}

func TestOpenEpisodeOnReferralAccepted_opens_one_episode_however_often_it_is_delivered(t *testing.T) {
	h := newHarness(t)
	referral := "3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f"
	id := h.openEpisode(referral, jean, "leek")

	ep := h.ok(leekNurse, `query($id: ID!) { caseloadEpisode(id: $id) { status localityId referralId priority ucr serviceRequested
		reason { snomedCode display } patient { nhsNumber givenName familyName dateOfBirth postcode gpPractice } openedAt } }`,
		map[string]any{"id": id})["caseloadEpisode"].(map[string]any)
	want := map[string]any{"status": "AWAITING_ALLOCATION", "localityId": "leek", "referralId": referral, "priority": "URGENT_2D", "ucr": false,
		"serviceRequested": "Integrated care team", "reason": map[string]any{"snomedCode": "129839007", "display": "At risk for falls"},
		"patient":  map[string]any{"nhsNumber": jean, "givenName": "Jean", "familyName": "Smith", "dateOfBirth": "1941-03-02", "postcode": "ST13 5BQ", "gpPractice": nil},
		"openedAt": "2026-03-02T07:00:00Z"}
	if !reflect.DeepEqual(ep, want) {
		t.Fatalf("episode\n got %v\nwant %v", ep, want)
	}

	// The producer publishes the same acceptance again (another event ID).
	h.appendEvent("referral-"+referral, "referrals.ReferralAccepted.v1", referralAccepted(referral, jean, "leek", start.Add(-time.Hour)))
	// And the whole log is delivered again to fresh checkpoints.
	again := replay(t, h)
	eventually(t, "the first instance to catch up", func() bool { return h.svc.CaughtUp() == nil })

	if n := countTypes(t, h.svc.Store, "caseload.EpisodeOpened.v1"); n != 1 {
		t.Fatalf("%d episodes opened, want 1", n)
	}
	if n := len(again.ReadModel.LocalityEpisodes("leek", nil, h.clock.Now())); n != 1 {
		t.Fatalf("the rebuilt read model has %d episodes", n)
	}
	if p, _ := eventbus.Parked(context.Background(), h.svc.Store, reactions.OpenEpisodeOnReferralAccepted); len(p) != 0 {
		t.Fatalf("parked: %+v", p)
	}
}

func TestOpenEpisodeOnReferralAccepted_skips_what_it_cannot_act_on_without_looping(t *testing.T) {
	h := newHarness(t)
	// No NHS number yet; then a locality carecoord does not know.
	nullNHS, _ := json.Marshal(map[string]any{"referralId": "ref-no-nhs", "patient": patientBlock(nil), "locality": "leek",
		"serviceRequested": "ICT", "priority": "ROUTINE", "ucr": false, "reason": map[string]any{"snomedCode": "1", "display": "x"},
		"acceptedAt": start.Format(time.RFC3339), "acceptedBy": "u"})
	h.appendEvent("referral-ref-no-nhs", "referrals.ReferralAccepted.v1", nullNHS)
	h.appendEvent("referral-ref-nowhere", "referrals.ReferralAccepted.v1", referralAccepted("ref-nowhere", jean, "atlantis", start))
	// A good one after them is still handled: the bad ones did not block.
	id := h.openEpisode("ref-after", jean, "leek")
	if _, ok := h.svc.ReadModel.Episode(id, start); !ok {
		t.Fatal("no episode")
	}
	if n := countTypes(t, h.svc.Store, "caseload.EpisodeOpened.v1"); n != 1 {
		t.Fatalf("%d episodes opened, want 1", n)
	}
	if p, _ := eventbus.Parked(context.Background(), h.svc.Store, reactions.OpenEpisodeOnReferralAccepted); len(p) != 0 {
		t.Fatalf("parked: %+v", p)
	}
}

func TestSuspendAndResume_follow_the_bed_board_once_however_often_delivered(t *testing.T) {
	h := newHarness(t)
	id := h.openEpisode("ref-beds", jean, "leek")
	h.activate(id, "2026-04-01")
	h.ok(leekNurse, scheduleVisit, in("episodeId", id, "plannedAt", "2026-03-03T10:00:00Z", "purpose", "REVIEW",
		"recurrence", map[string]any{"frequency": "DAILY", "occurrences": 3}))
	other := h.openEpisode("ref-beds-other", "9990000018", "leek") // another patient: untouched

	h.clock.Set(time.Date(2026, 3, 3, 16, 0, 0, 0, time.UTC))
	h.appendEvent("stay-s1", "beds.PatientAdmitted.v1", admitted("s1", jean, time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC)))
	eventually(t, "the episode to be suspended", func() bool {
		ep, _ := h.svc.ReadModel.Episode(id, h.clock.Now())
		return ep.Status == "SUSPENDED"
	})
	ep := h.ok(leekNurse, episodeQuery, map[string]any{"id": id})["caseloadEpisode"].(map[string]any)
	if s := ep["suspension"].(map[string]any); s["stayId"] != "s1" || s["reason"] != "ADMITTED_COMMUNITY_BED" || s["resumeTo"] != "ACTIVE" {
		t.Fatalf("suspension %v", s)
	}
	if actor := ep["history"].([]any)[len(ep["history"].([]any))-1].(map[string]any)["actor"]; actor != "system:caseload.SuspendEpisodeOnAdmission" {
		t.Fatalf("suspended by %v", actor)
	}

	// A discharge from another stay does not resume it.
	h.appendEvent("stay-s0", "beds.PatientDischarged.v1", dischargedFromBed("s0", jean, time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)))
	h.clock.Set(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC))
	h.appendEvent("stay-s1", "beds.PatientDischarged.v1", dischargedFromBed("s1", jean, time.Date(2026, 3, 5, 11, 0, 0, 0, time.UTC)))
	eventually(t, "the episode to resume", func() bool {
		ep, _ := h.svc.ReadModel.Episode(id, h.clock.Now())
		return ep.Status == "ACTIVE"
	})
	ep = h.ok(leekNurse, episodeQuery, map[string]any{"id": id})["caseloadEpisode"].(map[string]any)
	var got []any
	for _, v := range ep["visits"].([]any) {
		got = append(got, v.(map[string]any)["cancellationReason"])
	}
	// 3 March 10:00 was before admission (left for the team to record);
	// 4 March fell inside the stay; 5 March 10:00 was before discharge.
	if want := []any{nil, "PATIENT_ADMITTED", "PATIENT_ADMITTED"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("visits after the stay: %v, want %v", got, want)
	}

	stream := domain.Category + "-" + id
	n, nOther := streamLen(t, h.svc.Store, stream), streamLen(t, h.svc.Store, domain.Category+"-"+other)
	replay(t, h)
	eventually(t, "the first instance to catch up", func() bool { return h.svc.CaughtUp() == nil })
	if streamLen(t, h.svc.Store, stream) != n || streamLen(t, h.svc.Store, domain.Category+"-"+other) != nOther {
		t.Fatal("redelivery of the bed events changed the episodes again")
	}
	if ty := historyOf(t, h, id); countOf(ty, "caseload.EpisodeSuspended.v1") != 1 || countOf(ty, "caseload.EpisodeResumed.v1") != 1 {
		t.Fatalf("history %v", ty)
	}
	if p, _ := eventbus.Parked(context.Background(), h.svc.Store, reactions.SuspendEpisodeWhileInBed); len(p) != 0 {
		t.Fatalf("parked: %+v", p)
	}
}

func TestSuspendEpisodeOnAdmission_ignores_patients_it_cannot_identify_or_has_no_episode_for(t *testing.T) {
	h := newHarness(t)
	h.appendEvent("stay-x", "beds.PatientAdmitted.v1", admitted("x", nil, start))
	h.appendEvent("stay-y", "beds.PatientAdmitted.v1", admitted("y", "9990000026", start))
	id := h.openEpisode("ref-after-beds", jean, "leek")
	h.appendEvent("stay-z", "beds.PatientAdmitted.v1", admitted("z", jean, start.Add(-30*time.Minute)))
	eventually(t, "the known patient's episode to be suspended", func() bool {
		ep, _ := h.svc.ReadModel.Episode(id, h.clock.Now())
		return ep.Status == "SUSPENDED"
	})
	if p, _ := eventbus.Parked(context.Background(), h.svc.Store, reactions.SuspendEpisodeWhileInBed); len(p) != 0 {
		t.Fatalf("parked: %+v", p)
	}
	if _, ok := h.svc.ReadModel.Episode(app.EpisodeIDForReferral("x"), start); ok {
		t.Fatal("an episode appeared from nowhere")
	}
}

func countOf(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}
