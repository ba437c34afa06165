package service_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"carecoord/services/referrals/service"
)

func TestReferral_full_lifecycle_through_the_subgraph(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	received := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	at := func(d time.Duration) string { return received.Add(d).Format(time.RFC3339) }

	r := get(h.must(leekClinician, receiveMutation, vars(referralInput("9434765919", received), "c-receive")), "receiveReferral")
	id := str(r, "id")
	if str(r, "status") != "RECEIVED" || str(r, "localityId") != "leek" || str(r, "receivedAt") != received.Format(time.RFC3339) ||
		str(r, "patientDetails", "nhsNumber") != "9434765919" || str(r, "referrer", "source") != "GP" || str(r, "reason", "snomedCode") != "217082002" {
		t.Fatalf("received %v", r)
	}
	if str(r, "recordedAt") == str(r, "receivedAt") {
		t.Fatalf("recorded time not kept apart from received time: %v", r)
	}
	if flags := list(r, "riskFlags"); len(flags) != 2 || flags[0] != "ANIMALS" || flags[1] != "FALLS" {
		t.Fatalf("risk flags %v", flags)
	}

	r = get(h.must(leekClinician, triageMutation, vars(map[string]any{"referralId": id, "outcome": "REQUEST_INFORMATION", "information": "current medication", "requestedFrom": "GP", "at": at(10 * time.Minute)}, "")), "triageReferral")
	if str(r, "status") != "INFORMATION_REQUESTED" || str(r, "triage", "outcome") != "REQUEST_INFORMATION" || get(r, "ucrClock", "running") != false {
		t.Fatalf("information requested %v", r)
	}
	r = get(h.must(leekClinician, infoMutation, vars(map[string]any{"referralId": id, "at": at(40 * time.Minute)}, "")), "recordReferralInformationReceived")
	if str(r, "status") != "RECEIVED" || str(r, "ucrClock", "startedAt") != at(40*time.Minute) {
		t.Fatalf("information received: the UCR clock must restart when the service can act: %v", r)
	}
	r = get(h.must(leekClinician, triageMutation, vars(map[string]any{"referralId": id, "outcome": "ACCEPT", "at": at(45 * time.Minute)}, "")), "triageReferral")
	if str(r, "status") != "WAITING" || str(r, "triage", "outcome") != "ACCEPT" || str(r, "triage", "by") != "u-leek" || str(r, "triage", "priority") != "URGENT_2H" {
		t.Fatalf("accepted %v", r)
	}
	r = get(h.must(leekClinician, allocateMutation, vars(map[string]any{"referralId": id, "team": "Leek UCR", "clinicianId": "u-nurse-1", "clinicianName": "Sam Hall", "at": at(50 * time.Minute)}, "")), "allocateReferral")
	if str(r, "status") != "ALLOCATED" || str(r, "allocation", "clinicianId") != "u-nurse-1" {
		t.Fatalf("allocated %v", r)
	}
	r = get(h.must(leekClinician, contactMutation, vars(map[string]any{"referralId": id, "at": at(130 * time.Minute)}, "")), "recordFirstContact")
	if str(r, "status") != "FIRST_CONTACT" || str(r, "firstContactAt") != at(130*time.Minute) {
		t.Fatalf("first contact %v", r)
	}
	// 130 minutes after receipt, but 90 after the information arrived.
	if get(r, "ucrClock", "within2Hours") != true || get(r, "ucrClock", "elapsedMinutes") != 90 || get(r, "ucrClock", "running") != false {
		t.Fatalf("clock %v", get(r, "ucrClock"))
	}
	want := "ReferralReceived,ReferralInformationRequested,ReferralInformationReceived,ReferralAccepted,ReferralAllocated,ReferralFirstContactRecorded"
	if got := historyTypes(r); got != want {
		t.Fatalf("history %s", got)
	}

	// The stream holds exactly those events, the accepted one with the
	// contract's fields and the locality in its metadata.
	evs := h.streamEvents(id)
	if len(evs) != 6 {
		t.Fatalf("%d events", len(evs))
	}
	var accepted map[string]any
	if err := json.Unmarshal(evs[3].Data, &accepted); err != nil || evs[3].Type != "referrals.ReferralAccepted.v1" {
		t.Fatal(evs[3].Type, err)
	}
	if accepted["referralId"] != id || accepted["locality"] != "leek" || accepted["acceptedBy"] != "u-leek" || accepted["ucr"] != true ||
		get(accepted, "patient", "nhsNumber") != "9434765919" || evs[3].Metadata.Locality != "leek" || evs[3].Metadata.Actor != "u-leek" {
		t.Fatalf("accepted event %s %+v", evs[3].Data, evs[3].Metadata)
	}

	// The locality and patient views show it.
	data := h.must(leekClinician, `{ locality(id: "leek") { id open: referrals { id } done: referrals(status: [FIRST_CONTACT]) { id status } } }`, nil)
	if len(list(data, "locality", "open")) != 0 || len(list(data, "locality", "done")) != 1 || str(list(data, "locality", "done")[0], "id") != id {
		t.Fatalf("locality %v", data)
	}
	data = h.must(leekClinician, `{ patient(nhsNumber: "943 476 5919") { nhsNumber name dateOfBirth locality { id } referrals { id } timeline { at service type summary refId } } }`, nil)
	p := get(data, "patient")
	if str(p, "name") != "Jean Plant" || str(p, "dateOfBirth") != "1941-03-02" || str(p, "locality", "id") != "leek" || len(list(p, "referrals")) != 1 {
		t.Fatalf("patient %v", p)
	}
	tl := list(p, "timeline")
	if len(tl) != 6 || str(tl[0], "type") != "ReferralReceived" || str(tl[5], "summary") != "First face-to-face contact" || str(tl[3], "summary") != "Referral triaged: accepted" ||
		str(tl[0], "service") != "referrals" || str(tl[0], "refId") != id {
		t.Fatalf("timeline %v", tl)
	}
	for i := 1; i < len(tl); i++ {
		if str(tl[i-1], "at") > str(tl[i], "at") {
			t.Fatalf("timeline out of order: %v", tl)
		}
	}
}

func TestReferral_illegal_step_is_BAD_USER_INPUT_naming_the_state_and_writes_nothing(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	id := h.receive(leekClinician, referralInput("9434765919", time.Now().Add(-time.Hour)), "")
	h.must(leekClinician, triageMutation, vars(map[string]any{"referralId": id, "outcome": "ACCEPT"}, ""))

	msg, _ := wantError(t, h.do(leekClinician, triageMutation, vars(map[string]any{"referralId": id, "outcome": "REJECT", "reason": "not our service"}, "")), "BAD_USER_INPUT")
	if !strings.Contains(msg, "WAITING") || !strings.Contains(msg, "cannot triage the referral") {
		t.Fatalf("message %q", msg)
	}
	msg, _ = wantError(t, h.do(leekClinician, contactMutation, vars(map[string]any{"referralId": id}, "")), "BAD_USER_INPUT")
	if !strings.Contains(msg, "WAITING") {
		t.Fatalf("message %q", msg)
	}
	if n := len(h.streamEvents(id)); n != 2 {
		t.Fatalf("%d events after refused steps, want 2", n)
	}
	_, field := wantError(t, h.do(leekClinician, triageMutation, vars(map[string]any{"referralId": "no-such-referral", "outcome": "ACCEPT"}, "")), "NOT_FOUND")
	if field != "" {
		t.Fatal(field)
	}
}

func TestReceive_bad_input_is_BAD_USER_INPUT_with_the_field_and_writes_nothing(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	now := time.Now()
	cases := []struct {
		name   string
		mutate func(map[string]any)
		field  string
	}{
		{"a wrong check digit", func(in map[string]any) { in["patient"].(map[string]any)["nhsNumber"] = "9434765918" }, "patient.nhsNumber"},
		{"too few digits", func(in map[string]any) { in["patient"].(map[string]any)["nhsNumber"] = "943476591" }, "patient.nhsNumber"},
		{"a bad postcode", func(in map[string]any) { in["patient"].(map[string]any)["postcode"] = "LEEK 1" }, "patient.postcode"},
		{"an unknown practice and no locality", func(in map[string]any) { in["patient"].(map[string]any)["gpPractice"] = "Y99999" }, "patient.gpPractice"},
		{"a locality that contradicts the practice", func(in map[string]any) { in["localityId"] = "tamworth" }, "localityId"},
		{"received in the future", func(in map[string]any) { in["receivedAt"] = now.Add(time.Hour).UTC().Format(time.RFC3339) }, "receivedAt"},
		{"UCR at routine priority", func(in map[string]any) { in["priority"] = "ROUTINE" }, "priority"},
		{"a mistyped SNOMED code", func(in map[string]any) { in["reason"].(map[string]any)["snomedCode"] = "217082003" }, "reason.snomedCode"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, field := wantError(t, h.do(leekClinician, receiveMutation, vars(referralInput("9434765919", now.Add(-time.Hour), c.mutate), "")), "BAD_USER_INPUT")
			if field != c.field {
				t.Fatalf("field %q, want %q", field, c.field)
			}
		})
	}
	if n := len(h.allEvents()); n != 0 {
		t.Fatalf("%d events written by refused commands", n)
	}
	// A patient registered outside the county, with the locality said.
	id := h.receive(leekClinician, referralInput("9434765919", now.Add(-time.Hour), func(in map[string]any) {
		in["patient"].(map[string]any)["gpPractice"] = "Y99999"
		in["localityId"] = "leek"
	}), "")
	if id == "" {
		t.Fatal("not received")
	}
}

func TestCommands_repeated_commandId_returns_the_first_result_and_writes_nothing(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	in := referralInput("9434765919", time.Now().Add(-time.Hour))
	first := get(h.must(leekClinician, receiveMutation, vars(in, "client-1")), "receiveReferral")
	again := get(h.must(leekClinician, receiveMutation, vars(in, "client-1")), "receiveReferral")
	if str(first, "id") == "" || str(first, "id") != str(again, "id") || str(first, "recordedAt") != str(again, "recordedAt") {
		t.Fatalf("first %v, again %v", first, again)
	}
	id := str(first, "id")
	triage := vars(map[string]any{"referralId": id, "outcome": "ACCEPT"}, "client-2")
	t1 := get(h.must(leekClinician, triageMutation, triage), "triageReferral")
	// The repeat is answered, not refused as an illegal step (the referral
	// is no longer awaiting triage).
	t2 := get(h.must(leekClinician, triageMutation, triage), "triageReferral")
	if str(t1, "status") != "WAITING" || str(t2, "status") != "WAITING" || get(t1, "version") != get(t2, "version") {
		t.Fatalf("triage %v / %v", t1, t2)
	}
	if n := len(h.streamEvents(id)); n != 2 {
		t.Fatalf("%d events, want 2", n)
	}
	if n := len(h.allEvents()); n != 2 {
		t.Fatalf("%d events in the log, want 2", n)
	}
	// Without a commandId the same input is a second referral.
	h.receive(leekClinician, in, "")
	if n := countType(h.allEvents(), "referrals.ReferralReceived.v1"); n != 2 {
		t.Fatalf("%d referrals", n)
	}
}

// A commandId used for one referral, sent again with another patient, is a
// CONFLICT, even to a clinician who may see the first referral: the
// answer is never another referral than the one the input describes.
func TestReceiveReferral_commandId_used_for_another_referral_is_a_conflict(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	first := h.receive(leekClinician, referralInput("9434765919", time.Now().Add(-time.Hour)), "client-1")
	colleague := leekClinician
	colleague.Subject = "u-leek-2"
	for name, in := range map[string]map[string]any{
		"another patient": referralInput("9876543210", time.Now().Add(-time.Hour)),
		"another source": referralInput("9434765919", time.Now().Add(-time.Hour), func(in map[string]any) {
			in["referrer"] = map[string]any{"name": "Jean Plant", "source": "SELF_OR_CARER"}
		}),
	} {
		res := h.do(colleague, receiveMutation, vars(in, "client-1"))
		if msg, _ := wantError(t, res, "CONFLICT"); !strings.Contains(msg, "already used for another referral") || strings.Contains(msg, first) {
			t.Fatalf("%s: %q", name, msg)
		}
		if d, _ := res.Data.(map[string]any); d != nil && d["receiveReferral"] != nil {
			t.Fatalf("%s: data returned: %v", name, res.Data)
		}
	}
	if n := countType(h.allEvents(), "referrals.ReferralReceived.v1"); n != 1 {
		t.Fatalf("%d referrals, want the first only", n)
	}
	// The same referral, sent again by whoever holds the commandId, is
	// the first one.
	if again := h.receive(colleague, referralInput("9434765919", time.Now().Add(-time.Hour)), "client-1"); again != first {
		t.Fatalf("repeat answered %s, want %s", again, first)
	}
}

func TestTriage_concurrent_triage_of_one_referral_one_wins(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	for round := 0; round < 5; round++ {
		id := h.receive(leekClinician, referralInput("9434765919", time.Now().Add(-time.Hour)), "")
		inputs := []map[string]any{
			{"referralId": id, "outcome": "ACCEPT"},
			{"referralId": id, "outcome": "REJECT", "reason": "not appropriate"},
			{"referralId": id, "outcome": "REDIRECT", "service": "Community Mental Health Team"},
		}
		var wg sync.WaitGroup
		codes := make([]string, len(inputs))
		start := make(chan struct{})
		for i, in := range inputs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res := h.do(leekClinician, triageMutation, vars(in, ""))
				if len(res.Errors) == 0 {
					codes[i] = "OK"
				} else {
					codes[i], _ = res.Errors[0].Extensions["code"].(string)
				}
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, c := range codes {
			switch c {
			case "OK":
				ok++
			case "CONFLICT", "BAD_USER_INPUT":
			default:
				t.Fatalf("unexpected outcome %v", codes)
			}
		}
		if ok != 1 {
			t.Fatalf("%d triage decisions succeeded: %v", ok, codes)
		}
		if n := len(h.streamEvents(id)); n != 2 {
			t.Fatalf("%d events, want 2", n)
		}
	}
}

func TestReferral_withdraw_cancel_and_entered_in_error(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	now := time.Now()
	a := h.receive(leekClinician, referralInput("9434765919", now.Add(-time.Hour)), "")
	r := get(h.must(leekClinician, withdrawMutation, vars(map[string]any{"referralId": a, "kind": "WITHDRAWN", "reason": "patient declined"}, "")), "withdrawReferral")
	if str(r, "status") != "WITHDRAWN" || str(r, "closure", "kind") != "WITHDRAWN" || get(r, "ucrClock", "running") != false {
		t.Fatalf("withdrawn %v", r)
	}
	msg, _ := wantError(t, h.do(leekClinician, withdrawMutation, vars(map[string]any{"referralId": a, "kind": "CANCELLED", "reason": "x"}, "")), "BAD_USER_INPUT")
	if !strings.Contains(msg, "WITHDRAWN") {
		t.Fatal(msg)
	}
	// Entered in error takes it out of the patient's views.
	h.must(leekClinician, withdrawMutation, vars(map[string]any{"referralId": a, "kind": "ENTERED_IN_ERROR", "reason": "wrong patient"}, ""))
	data := h.must(leekClinician, `{ patient(nhsNumber: "9434765919") { referrals { id } timeline { type } } }`, nil)
	if len(list(data, "patient", "referrals")) != 0 || len(list(data, "patient", "timeline")) != 0 {
		t.Fatalf("entered-in-error referral still shown: %v", data)
	}
	if str(h.must(leekClinician, referralQuery, map[string]any{"id": a}), "referral", "status") != "ENTERED_IN_ERROR" {
		t.Fatal("the record itself stays readable")
	}
}

func TestReferral_patient_choice_leaves_the_UCR_measure(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	id := h.receive(leekClinician, referralInput("9434765919", time.Now().Add(-100*time.Minute)), "")
	r := get(h.must(leekClinician, referralQuery, map[string]any{"id": id}), "referral")
	if get(r, "ucrClock", "atRisk") != true {
		t.Fatalf("a UCR referral 100 minutes old is at risk: %v", r)
	}
	r = get(h.must(leekClinician, choiceMutation, vars(map[string]any{"referralId": id, "preferredAt": time.Now().Add(20 * time.Hour).UTC().Format(time.RFC3339)}, "")), "recordReferralPatientChoice")
	if get(r, "ucrClock", "excludedByPatientChoice") != true || get(r, "ucrClock", "atRisk") != false {
		t.Fatalf("after choice %v", r)
	}
	// Not a UCR referral: refused.
	other := h.receive(leekClinician, referralInput("9434765919", time.Now().Add(-time.Hour), func(in map[string]any) {
		in["ucr"] = false
		in["priority"] = "ROUTINE"
	}), "")
	_, field := wantError(t, h.do(leekClinician, choiceMutation, vars(map[string]any{"referralId": other}, "")), "BAD_USER_INPUT")
	if field != "referralId" {
		t.Fatal(field)
	}
}
