package service_test

import (
	"testing"
	"time"

	"carecoord/pkg/auth"
	"carecoord/services/referrals/service"
)

// The scenario drives referrals to known UCR outcomes with a controlled
// clock at noon on 20 November 2026.
func TestUCR_performance_is_computed_from_clock_start_to_first_contact(t *testing.T) {
	noon := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	clk := &clock{now: noon}
	h := newHarness(t, service.TestOptions{Now: clk.Now})
	day := func(hh, mm int) time.Time { return time.Date(2026, 11, 20, hh, mm, 0, 0, time.UTC) }
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	seen := func(v auth.Viewer, id string, accept, contact time.Time) {
		t.Helper()
		h.must(v, triageMutation, vars(map[string]any{"referralId": id, "outcome": "ACCEPT", "at": ts(accept)}, ""))
		h.must(v, allocateMutation, vars(map[string]any{"referralId": id, "team": "UCR", "clinicianId": "u-n", "at": ts(accept)}, ""))
		h.must(v, contactMutation, vars(map[string]any{"referralId": id, "at": ts(contact)}, ""))
	}
	leek := func(received time.Time, mutate ...func(map[string]any)) string {
		return h.receive(leekClinician, referralInput("9434765919", received, mutate...), "")
	}

	a := leek(day(9, 0)) // seen after 90 minutes: within
	seen(leekClinician, a, day(9, 5), day(10, 30))
	b := leek(day(8, 0)) // seen after 150 minutes: breach
	seen(leekClinician, b, day(8, 5), day(10, 30))
	c := leek(day(9, 0)) // information requested; clock from its arrival at 10:00; seen 11:45 (105 minutes): within
	h.must(leekClinician, triageMutation, vars(map[string]any{"referralId": c, "outcome": "REQUEST_INFORMATION", "information": "medication list", "at": ts(day(9, 10))}, ""))
	h.must(leekClinician, infoMutation, vars(map[string]any{"referralId": c, "at": ts(day(10, 0))}, ""))
	seen(leekClinician, c, day(10, 5), day(11, 45))
	d := leek(day(8, 0), func(in map[string]any) { in["patientChoseLaterTime"] = true }) // excluded
	seen(leekClinician, d, day(8, 5), day(11, 55))
	leek(day(10, 15))                                             // open, 105 minutes at noon: at risk
	f := leek(day(9, 30))                                         // open, 150 minutes at noon: at risk and breached
	g := leek(day(11, 0))                                         // open, 60 minutes: not yet at risk
	leek(day(11, 0).AddDate(0, 0, -21), func(in map[string]any) { // routine, open 3 weeks
		in["ucr"] = false
		in["priority"] = "ROUTINE"
	})
	last := leek(time.Date(2026, 10, 25, 9, 0, 0, 0, time.UTC)) // seen within 2 hours last month
	seen(leekClinician, last, time.Date(2026, 10, 25, 9, 10, 0, 0, time.UTC), time.Date(2026, 10, 25, 10, 0, 0, 0, time.UTC))
	tam := h.receive(tamworthClinician, referralInput("9434765919", day(9, 0), func(in map[string]any) {
		in["patient"].(map[string]any)["gpPractice"] = tamworthPractice
		in["referrer"].(map[string]any)["organisationOds"] = tamworthPractice
	}), "")
	seen(tamworthClinician, tam, day(9, 5), day(9, 30))

	q := `query($loc: ID) { ucrPerformance(localityId: $loc) { localityId atRisk breached referralsOpen atRiskReferrals { id }
		thisMonth { from referralsReceived ucrReferralsReceived ucrContacts ucrSeenWithin2h ucrSeenWithin2hPercent ucrExcludedByPatientChoice }
		last30Days { referralsReceived ucrContacts ucrSeenWithin2h ucrSeenWithin2hPercent }
		waitingList { band count } } }`
	p := get(h.must(leekClinician, q, map[string]any{"loc": "leek"}), "ucrPerformance")
	m := get(p, "thisMonth")
	// This month: a (in), b (out), c (in); d is excluded; last month's is not in it.
	if get(m, "ucrContacts") != 3 || get(m, "ucrSeenWithin2h") != 2 || get(m, "ucrSeenWithin2hPercent") != 66.7 ||
		get(m, "referralsReceived") != 7 || get(m, "ucrReferralsReceived") != 7 || get(m, "ucrExcludedByPatientChoice") != 1 ||
		str(m, "from") != "2026-11-01T00:00:00Z" {
		t.Fatalf("this month %v", m)
	}
	r30 := get(p, "last30Days")
	if get(r30, "ucrContacts") != 4 || get(r30, "ucrSeenWithin2h") != 3 || get(r30, "ucrSeenWithin2hPercent") != 75.0 || get(r30, "referralsReceived") != 9 {
		t.Fatalf("last 30 days %v", r30)
	}
	atRisk := list(p, "atRiskReferrals")
	if get(p, "atRisk") != 2 || get(p, "breached") != 1 || len(atRisk) != 2 || str(atRisk[0], "id") != f {
		t.Fatalf("at risk %v", p)
	}
	bands := map[string]any{}
	for _, b := range list(p, "waitingList") {
		bands[str(b, "band")] = get(b, "count")
	}
	if get(p, "referralsOpen") != 4 || bands["0-1"] != 3 || bands["2-4"] != 1 || bands["52+"] != 0 || len(bands) != 7 {
		t.Fatalf("waiting list %v (open %v)", bands, get(p, "referralsOpen"))
	}

	// The locality summary says the same.
	s := get(h.must(leekClinician, `{ locality(id: "leek") { summary { localityId referralsReceived ucrSeenWithin2hPercent ucrSeenWithin2hPercentLast30Days ucrAtRisk ucrBreached referralsOpen referralWaitingList { band count } } } }`, nil), "locality", "summary")
	if str(s, "localityId") != "leek" || get(s, "ucrSeenWithin2hPercent") != 66.7 || get(s, "ucrSeenWithin2hPercentLast30Days") != 75.0 || get(s, "ucrAtRisk") != 2 || get(s, "ucrBreached") != 1 || len(list(s, "referralWaitingList")) != 7 {
		t.Fatalf("summary %v", s)
	}

	// The whole system adds Tamworth's contact (within): 3 of 4 this month.
	sys := get(h.must(admin, q, map[string]any{}), "ucrPerformance")
	if get(sys, "localityId") != nil || get(sys, "thisMonth", "ucrContacts") != 4 || get(sys, "thisMonth", "ucrSeenWithin2hPercent") != 75.0 {
		t.Fatalf("system %v", sys)
	}

	// The clock moves on: g passes 90 minutes at 12:31.
	clk.Set(day(12, 31))
	p = get(h.must(leekClinician, q, map[string]any{"loc": "leek"}), "ucrPerformance")
	if get(p, "atRisk") != 3 || get(p, "breached") != 2 {
		t.Fatalf("at 12:31: %v", p)
	}
	r := get(h.must(leekClinician, referralQuery, map[string]any{"id": g}), "referral", "ucrClock")
	if get(r, "elapsedMinutes") != 91 || get(r, "atRisk") != true || get(r, "breached") != false {
		t.Fatalf("g's clock %v", r)
	}
	// A contact time ahead of the clock is refused.
	if _, field := wantError(t, h.do(leekClinician, contactMutation, vars(map[string]any{"referralId": g, "at": ts(day(13, 0))}, "")), "BAD_USER_INPUT"); field != "at" {
		t.Fatal(field)
	}
}
