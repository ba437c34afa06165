package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/graphql-go/graphql"

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

	// Break glass opens this patient's record (the gateway audits the
	// reason): the referral by ID, and the patient's referrals and
	// timeline...
	glass := tamworthClinician
	glass.BreakGlassReason = "patient presented in Tamworth"
	h.must(glass, referralQuery, map[string]any{"id": id})
	data = h.must(glass, `{ patient(nhsNumber: "9434765919") { name referrals { id } timeline { type } } }`, nil)
	if len(list(data, "patient", "referrals")) == 0 || len(list(data, "patient", "timeline")) == 0 || get(data, "patient", "name") == nil {
		t.Fatalf("break-glass does not open the patient's referrals: %v", data)
	}
	// ...never Leek's lists, nor a command on the referral.
	wantError(t, h.do(glass, `{ locality(id: "leek") { referrals { id } } }`, nil), "FORBIDDEN")
	wantError(t, h.do(glass, `{ locality(id: "leek") { summary { referralsOpen } } }`, nil), "FORBIDDEN")
	wantError(t, h.do(glass, `{ ucrPerformance(localityId: "leek") { atRisk } }`, nil), "FORBIDDEN")
	wantError(t, h.do(glass, triageMutation, vars(map[string]any{"referralId": id, "outcome": "ACCEPT"}, "")), "FORBIDDEN")
	wantError(t, h.do(glass, receiveMutation, vars(referralInput("9434765919", time.Now().Add(-time.Hour)), "")), "FORBIDDEN")
	// Break-glass is the clinicians': a bed manager gets nothing by it.
	beds := bedManager
	beds.BreakGlassReason = "please"
	wantError(t, h.do(beds, referralQuery, map[string]any{"id": id}), "FORBIDDEN")
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

// Locality.summary is shared by the four services and a gateway resolves
// it through one of them (this one, first): it never refuses, so that a
// bed manager still gets the beds counts through it. The referral counts
// are the ICT's: their fields refuse everyone else, on the subgraph and
// through _entities alike.
func TestAuth_locality_summary_never_refuses_its_referral_counts_do(t *testing.T) {
	h := newHarness(t, service.TestOptions{})
	h.receive(leekClinician, referralInput("9434765919", time.Now().Add(-time.Hour)), "")
	schema, err := h.svc.Subgraph.Federated()
	if err != nil {
		t.Fatal(err)
	}
	entities := func(v auth.Viewer, sel string) *graphql.Result {
		return graphql.Do(graphql.Params{Schema: schema, Context: auth.WithViewer(context.Background(), v),
			RequestString:  `query($r: [_Any!]!) { _entities(representations: $r) { ... on LocalitySummary { ` + sel + ` } } }`,
			VariableValues: map[string]any{"r": []any{map[string]any{"__typename": "LocalitySummary", "localityId": "leek"}}}})
	}
	for _, v := range []auth.Viewer{leekClinician, tamworthClinician, bedManager, dispatcher, admin} {
		data := h.must(v, `{ locality(id: "leek") { id summary { localityId } } }`, nil)
		if str(data, "locality", "id") != "leek" || get(data, "locality", "summary", "localityId") != "leek" {
			t.Fatalf("%s: the container %v", v.Role, data)
		}
		if res := entities(v, "localityId"); len(res.Errors) > 0 {
			t.Fatalf("%s: the LocalitySummary entity: %v", v.Role, res.Errors)
		}
	}
	for _, v := range []auth.Viewer{leekClinician, admin} {
		data := h.must(v, `{ locality(id: "leek") { summary { referralsOpen } } }`, nil)
		if get(data, "locality", "summary", "referralsOpen") != 1 {
			t.Fatalf("%s: %v", v.Role, data)
		}
		if res := entities(v, "referralsOpen"); len(res.Errors) > 0 {
			t.Fatalf("%s: the LocalitySummary entity's counts: %v", v.Role, res.Errors)
		}
	}
	for _, v := range []auth.Viewer{tamworthClinician, bedManager, dispatcher} {
		wantError(t, h.do(v, `{ locality(id: "leek") { summary { referralsOpen } } }`, nil), "FORBIDDEN")
		wantError(t, entities(v, "referralsOpen"), "FORBIDDEN")
	}
}
