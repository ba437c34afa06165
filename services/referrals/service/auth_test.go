package service_test

import (
	"testing"
	"time"

	"carecoord/pkg/auth"
	"carecoord/services/referrals/service"
)

func TestAuth_a_clinician_of_another_locality_neither_sees_nor_changes_a_referral(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	id := h.receive(leekClinician, referralInput("9434765919", time.Now().Add(-time.Hour)), "")

	// By ID: not found, so that the referral's existence does not leak.
	wantError(t, h.do(tamworthClinician, referralQuery, map[string]any{"id": id}), "NOT_FOUND")
	// By locality: refused outright.
	wantError(t, h.do(tamworthClinician, `{ locality(id: "leek") { referrals { id } } }`, nil), "FORBIDDEN")
	wantError(t, h.do(tamworthClinician, `{ locality(id: "leek") { summary { referralsOpen } } }`, nil), "FORBIDDEN")
	wantError(t, h.do(tamworthClinician, `{ ucrPerformance(localityId: "leek") { atRisk } }`, nil), "FORBIDDEN")
	// By patient: the referral is simply not among the patient's.
	data := h.must(tamworthClinician, `{ patient(nhsNumber: "9434765919") { name referrals { id } timeline { type } } }`, nil)
	if len(list(data, "patient", "referrals")) != 0 || len(list(data, "patient", "timeline")) != 0 || get(data, "patient", "name") != nil {
		t.Fatalf("a Tamworth clinician sees a Leek patient's referral: %v", data)
	}
	// Commands on it, or receiving one for a Leek patient: refused.
	wantError(t, h.do(tamworthClinician, triageMutation, vars(map[string]any{"referralId": id, "outcome": "ACCEPT"}, "")), "FORBIDDEN")
	wantError(t, h.do(tamworthClinician, receiveMutation, vars(referralInput("9434765919", time.Now().Add(-time.Hour)), "")), "FORBIDDEN")
	if n := len(h.streamEvents(id)); n != 1 {
		t.Fatalf("%d events", n)
	}
	// Their own locality's queue works, and the system-wide counts hold no
	// patient data, so they see those but not the Leek referral in them.
	h.must(tamworthClinician, `{ locality(id: "tamworth") { referrals { id } summary { referralsOpen } } }`, nil)
	data = h.must(tamworthClinician, `{ ucrPerformance { localityId referralsOpen atRiskReferrals { id } } }`, nil)
	if get(data, "ucrPerformance", "referralsOpen") != 1 || len(list(data, "ucrPerformance", "atRiskReferrals")) != 0 || get(data, "ucrPerformance", "localityId") != nil {
		t.Fatalf("system performance %v", data)
	}

	// Replaying another clinician's commandId with a patient of one's own
	// does not reveal the first referral.
	h.receive(leekClinician, referralInput("9434765919", time.Now().Add(-time.Hour)), "leek-cmd")
	tamworthPatient := referralInput("9434765919", time.Now().Add(-time.Hour), func(in map[string]any) {
		in["patient"].(map[string]any)["gpPractice"] = tamworthPractice
	})
	res := h.do(tamworthClinician, receiveMutation, vars(tamworthPatient, "leek-cmd"))
	wantError(t, res, "CONFLICT")
	if d, _ := res.Data.(map[string]any); d != nil && d["receiveReferral"] != nil {
		t.Fatalf("data returned: %v", res.Data)
	}

	// Break glass reaches it (the gateway audits the reason).
	glass := tamworthClinician
	glass.BreakGlassReason = "patient presented in Tamworth"
	h.must(glass, referralQuery, map[string]any{"id": id})
	// An admin sees everything.
	if str(h.must(admin, referralQuery, map[string]any{"id": id}), "referral", "id") != id {
		t.Fatal("admin")
	}
}

func TestAuth_bed_managers_and_dispatchers_cannot_read_referrals(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	id := h.receive(leekClinician, referralInput("9434765919", time.Now().Add(-time.Hour)), "")
	for _, v := range []auth.Viewer{bedManager, dispatcher} {
		wantError(t, h.do(v, referralQuery, map[string]any{"id": id}), "FORBIDDEN")
		wantError(t, h.do(v, `{ patient(nhsNumber: "9434765919") { referrals { id } } }`, nil), "FORBIDDEN")
		wantError(t, h.do(v, `{ locality(id: "leek") { referrals { id } } }`, nil), "FORBIDDEN")
		wantError(t, h.do(v, triageMutation, vars(map[string]any{"referralId": id, "outcome": "ACCEPT"}, "")), "FORBIDDEN")
	}
	wantError(t, h.do(auth.Viewer{}, referralQuery, map[string]any{"id": id}), "UNAUTHENTICATED")
	// carecoord's own system identity may (reactions, seed).
	h.must(auth.SystemViewer("test"), referralQuery, map[string]any{"id": id})
}
