package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/locality"
	"carecoord/services/referrals/service"
)

// appendProducerEvent appends another service's event, as that service
// would, straight to the store.
func appendProducerEvent(t *testing.T, s eventstore.Store, stream, typ string, data any) {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Append(context.Background(), stream, eventstore.Any, eventstore.EventData{
		ID: uuid.New(), Type: typ, Data: b,
		Metadata: eventstore.Metadata{Actor: "u-falls", Locality: "leek", OccurredAt: time.Now().UTC(), CorrelationID: uuid.NewString()},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func patientBlock(nhs, practice string) map[string]any {
	var n any
	if nhs != "" {
		n = nhs
	}
	var p any
	if practice != "" {
		p = practice
	}
	return map[string]any{"nhsNumber": n, "nhsNumberVerification": "VERIFIED", "givenName": "Irene", "familyName": "Bagnall",
		"dateOfBirth": "1938-07-14", "postcode": "ST13 6AB", "gpPractice": p}
}

func fallOutcome(incident, nhs, practice, outcome string, referTo ...string) map[string]any {
	if referTo == nil {
		referTo = []string{}
	}
	return map[string]any{
		"incidentId": incident, "patient": patientBlock(nhs, practice), "locality": "leek", "outcome": outcome,
		"referTo": referTo, "clinicalNeed": "uninjured, unsteady on standing", "recordedAt": "2026-11-20T08:15:00Z", "recordedBy": "u-responder",
	}
}

// patientReferrals are the referrals the service shows for a patient.
func (h *harness) patientReferrals(nhs string) []any {
	return list(h.must(admin, `query($n: String!) { patient(nhsNumber: $n) { referrals { id status priority ucr serviceRequested receivedAt localityId sourceReference notes
		referrer { source name } reason { snomedCode display } consent riskFlags } } }`, map[string]any{"n": nhs}), "patient", "referrals")
}

// rerun runs the service's handlers again over the whole log with fresh
// checkpoints (a redelivery of everything), beside the running instance,
// and returns once every consumer has handled the log.
func rerun(t *testing.T, s eventstore.Store) {
	t.Helper()
	bus, err := eventbus.New(eventbus.Config{Store: s, Checkpoints: checkpoint.NewMemory(), Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), RetryInterval: 10 * time.Millisecond, FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := service.New(service.Deps{Store: s, Bus: bus, Localities: locality.Default(), Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- bus.Run(context.Background()) }()
	<-bus.Running()
	eventually(t, "the second run to handle the log", func() bool { return bus.CaughtUp() == nil })
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
}

func TestRaiseReferralOnFallOutcome_raises_a_referral_per_service_once(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	incident := uuid.NewString()
	appendProducerEvent(t, h.store, "fallincident-"+incident, "falls.FallOutcomeRecorded.v1",
		fallOutcome(incident, "9434765919", leekPractice, "REFERRED", "UCR", "FALLS_PREVENTION"))
	var rs []any
	eventually(t, "two referrals", func() bool { rs = h.patientReferrals("9434765919"); return len(rs) == 2 })
	byService := map[string]any{}
	for _, r := range rs {
		byService[str(r, "serviceRequested")] = r
	}
	ucr := byService["Urgent Community Response"]
	if get(ucr, "ucr") != true || str(ucr, "priority") != "URGENT_2H" || str(ucr, "status") != "RECEIVED" || str(ucr, "localityId") != "leek" ||
		str(ucr, "referrer", "source") != "FALLS_SERVICE" || str(ucr, "receivedAt") != "2026-11-20T08:15:00Z" ||
		str(ucr, "reason", "snomedCode") != "217082002" || str(ucr, "sourceReference") != "fallincident-"+incident ||
		str(ucr, "consent") != "NOT_RECORDED" || str(ucr, "notes") != "uninjured, unsteady on standing" {
		t.Fatalf("UCR referral %v", ucr)
	}
	prevention := byService["Falls Prevention"]
	if get(prevention, "ucr") != false || str(prevention, "priority") != "ROUTINE" {
		t.Fatalf("falls prevention referral %v", prevention)
	}
	// The referral's events are caused by the fall's.
	for _, e := range h.allEvents() {
		if e.Type == "referrals.ReferralReceived.v1" && (e.Metadata.CausationID == "" || e.Metadata.Actor != "system:"+"referrals.RaiseReferralOnFallOutcome") {
			t.Fatalf("metadata %+v", e.Metadata)
		}
	}

	rerun(t, h.store)
	rerun(t, h.store)
	if n := countType(h.allEvents(), "referrals.ReferralReceived.v1"); n != 2 {
		t.Fatalf("%d referrals after redelivery, want 2", n)
	}
	if rs := h.patientReferrals("9434765919"); len(rs) != 2 {
		t.Fatalf("%d referrals shown", len(rs))
	}
}

func TestRaiseReferralOnFallOutcome_acts_only_on_a_referral_it_can_make(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	// Not referred; no NHS number; a bad NHS number; no practice here and
	// no known locality; a child for UCR (refused by receive).
	appendProducerEvent(t, h.store, "fallincident-1", "falls.FallOutcomeRecorded.v1", fallOutcome("1", "9434765919", leekPractice, "LIFTED_LEFT_AT_HOME"))
	appendProducerEvent(t, h.store, "fallincident-2", "falls.FallOutcomeRecorded.v1", fallOutcome("2", "", leekPractice, "REFERRED", "UCR"))
	appendProducerEvent(t, h.store, "fallincident-3", "falls.FallOutcomeRecorded.v1", fallOutcome("3", "9434765918", leekPractice, "REFERRED", "UCR"))
	nowhere := fallOutcome("4", "9434765919", "", "REFERRED", "ICT")
	nowhere["locality"] = "atlantis"
	appendProducerEvent(t, h.store, "fallincident-4", "falls.FallOutcomeRecorded.v1", nowhere)
	child := fallOutcome("5", "9434765919", leekPractice, "REFERRED", "UCR")
	child["patient"].(map[string]any)["dateOfBirth"] = "2015-01-01"
	appendProducerEvent(t, h.store, "fallincident-5", "falls.FallOutcomeRecorded.v1", child)
	// Then one it can make: no practice, so the event's locality; no
	// referTo, so the ICT.
	sentinel := fallOutcome("6", "9990000018", "", "REFERRED")
	sentinel["locality"] = "tamworth"
	appendProducerEvent(t, h.store, "fallincident-6", "falls.FallOutcomeRecorded.v1", sentinel)

	var rs []any
	eventually(t, "the sentinel's referral", func() bool { rs = h.patientReferrals("9990000018"); return len(rs) == 1 })
	if str(rs[0], "localityId") != "tamworth" || str(rs[0], "serviceRequested") != "Integrated Care Team" || str(rs[0], "priority") != "URGENT_2D" {
		t.Fatalf("sentinel %v", rs[0])
	}
	// Handled in order, so the others were handled before it.
	if n := countType(h.allEvents(), "referrals.ReferralReceived.v1"); n != 1 {
		t.Fatalf("%d referrals raised, want only the sentinel's", n)
	}
	if parked, err := eventbus.Parked(context.Background(), h.store, "referrals.RaiseReferralOnFallOutcome"); err != nil || len(parked) != 0 {
		t.Fatalf("parked %v %v", parked, err)
	}
}

func TestRaiseReferralOnDischargeFollowUp_raises_an_ICT_referral_once(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	discharge := func(stay, nhs string, followUp bool) map[string]any {
		return map[string]any{
			"stayId": stay, "patient": patientBlock(nhs, leekPractice), "locality": "leek", "pathway": "P1", "destination": "Own home",
			"followUp": map[string]any{"ictReferral": followUp, "reason": "review mobility and package of care"}, "dischargedAt": "2026-11-19T15:40:00Z",
		}
	}
	appendProducerEvent(t, h.store, "stay-a", "beds.PatientDischarged.v1", discharge("a", "9990000026", false))
	appendProducerEvent(t, h.store, "stay-b", "beds.PatientDischarged.v1", discharge("b", "9434765919", true))
	var rs []any
	eventually(t, "the discharge referral", func() bool { rs = h.patientReferrals("9434765919"); return len(rs) == 1 })
	r := rs[0]
	if str(r, "referrer", "source") != "HOSPITAL_DISCHARGE" || str(r, "serviceRequested") != "Integrated Care Team" || str(r, "priority") != "URGENT_2D" ||
		str(r, "receivedAt") != "2026-11-19T15:40:00Z" || str(r, "sourceReference") != "stay-b" || str(r, "localityId") != "leek" ||
		str(r, "notes") != "Discharge to Assess pathway P1; discharged to Own home; follow-up: review mobility and package of care" {
		t.Fatalf("referral %v", r)
	}
	if len(h.patientReferrals("9990000026")) != 0 {
		t.Fatal("a discharge without ICT follow-up raised a referral")
	}
	rerun(t, h.store)
	if n := countType(h.allEvents(), "referrals.ReferralReceived.v1"); n != 1 {
		t.Fatalf("%d referrals after redelivery, want 1", n)
	}
}

// The reactions tolerate the producers' nulls and any order of keys: the
// JSON here is written as the producer's schema allows, not by marshalling
// this service's structs.
func TestRaiseReferralOnFallOutcome_reads_the_producers_json(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	raw := fmt.Sprintf(`{"recordedBy":"u-r","recordedAt":"2026-11-20T08:15:00.123Z","referTo":["ICT"],"clinicalNeed":null,"outcome":"REFERRED",
		"locality":"leek","patient":{"nhsNumber":"9434765919","nhsNumberVerification":"UNVERIFIED","givenName":"Jean","familyName":"Smith",
		"dateOfBirth":null,"postcode":null,"gpPractice":%q},"incidentId":"i-raw"}`, leekPractice)
	_, err := h.store.Append(context.Background(), "fallincident-i-raw", eventstore.Any, eventstore.EventData{ID: uuid.New(), Type: "falls.FallOutcomeRecorded.v1", Data: []byte(raw)})
	if err != nil {
		t.Fatal(err)
	}
	var rs []any
	eventually(t, "the referral", func() bool { rs = h.patientReferrals("9434765919"); return len(rs) == 1 })
	if str(rs[0], "receivedAt") != "2026-11-20T08:15:00Z" || get(rs[0], "notes") != nil {
		t.Fatalf("%v", rs[0])
	}
}
