package readmodel

import (
	"cmp"
	"math"
	"slices"
	"time"

	_ "time/tzdata" // calendar months are England's, whatever the host's zone data

	"carecoord/services/referrals/domain"
)

// reportingZone is where a "calendar month" begins: NHS England's monthly
// returns count in UK civil time.
var reportingZone = mustZone("Europe/London")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Period is the UCR 2-hour measure and referral counts over a period.
//
// Referrals are counted in the period they were received; UCR contacts in
// the period their clock stopped (the first face-to-face contact), as the
// national return does. The measure leaves out referrals the patient chose
// to defer and records entered in error.
type Period struct {
	From, To time.Time
	// ReferralsReceived counts every referral received; UCRReceived those
	// received as UCR 2-hour referrals.
	ReferralsReceived int
	UCRReceived       int
	// UCRContacts are UCR referrals in the measure first seen in the
	// period; UCRWithin2h those seen within 2 hours of their clock start.
	UCRContacts int
	UCRWithin2h int
	// UCRExcluded counts UCR referrals received in the period that the
	// patient chose to defer.
	UCRExcluded int
}

// Within2hPercent is the share of UCR contacts within 2 hours, to one
// decimal place; ok is false when there were no contacts.
func (p Period) Within2hPercent() (float64, bool) {
	if p.UCRContacts == 0 {
		return 0, false
	}
	return math.Round(1000*float64(p.UCRWithin2h)/float64(p.UCRContacts)) / 10, true
}

func (p Period) in(t time.Time) bool { return !t.Before(p.From) && !t.After(p.To) }

// BandCount is a waiting-list band with the referrals in it.
type BandCount struct {
	Band
	Count int
}

// Performance is what a locality (or the whole system) looks like now.
type Performance struct {
	// Locality is "" for the whole system.
	Locality string
	AsOf     time.Time
	// ThisMonth runs from the start of the calendar month (UK time) to now;
	// Last30Days is the rolling 30 days to now.
	ThisMonth  Period
	Last30Days Period
	// Open counts open referrals; AwaitingTriage those received and not
	// yet triaged.
	Open           int
	AwaitingTriage int
	// UCRAtRisk counts the open UCR referrals in the measure whose clock
	// has run more than 90 minutes, and UCRAtRiskIDs lists them, longest
	// first; UCRBreached counts those past 2 hours (a subset).
	UCRAtRisk    int
	UCRAtRiskIDs []string
	UCRBreached  int
	// WaitingList is open referrals by time since receipt, in the national
	// bands.
	WaitingList []BandCount
}

// Performance computes a locality's figures ("" for the whole system) at
// now.
func (m *Model) Performance(locality string, now time.Time) Performance {
	now = now.UTC()
	local := now.In(reportingZone)
	monthStart := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, reportingZone).UTC()
	p := Performance{
		Locality:    locality,
		AsOf:        now,
		ThisMonth:   Period{From: monthStart, To: now},
		Last30Days:  Period{From: now.Add(-30 * 24 * time.Hour), To: now},
		WaitingList: make([]BandCount, len(Bands)),
	}
	for i, b := range Bands {
		p.WaitingList[i].Band = b
	}
	type risk struct {
		id      string
		elapsed time.Duration
	}
	var atRisk []risk
	m.each(locality, func(r *Referral) {
		if r.Status == domain.StatusEnteredInError {
			return
		}
		for _, period := range []*Period{&p.ThisMonth, &p.Last30Days} {
			period.count(r)
		}
		if r.Status.Open() {
			p.Open++
			if r.Status == domain.StatusReceived {
				p.AwaitingTriage++
			}
			_, band, _ := r.Waiting(now)
			p.WaitingList[slices.Index(Bands, band)].Count++
		}
		if c, ok := r.UCRClock(now); ok && c.AtRisk {
			atRisk = append(atRisk, risk{r.ID, c.Elapsed})
			if c.Breached {
				p.UCRBreached++
			}
		}
	})
	slices.SortFunc(atRisk, func(a, b risk) int { return cmp.Or(cmp.Compare(b.elapsed, a.elapsed), cmp.Compare(a.id, b.id)) })
	p.UCRAtRisk = len(atRisk)
	for _, r := range atRisk {
		p.UCRAtRiskIDs = append(p.UCRAtRiskIDs, r.id)
	}
	return p
}

func (p *Period) count(r *Referral) {
	if p.in(r.ReceivedAt) {
		p.ReferralsReceived++
		if r.ReceivedAsUCR {
			p.UCRReceived++
			if r.PatientChoseLaterTime {
				p.UCRExcluded++
			}
		}
	}
	if r.InUCRMeasure() && r.FirstContactAt != nil && p.in(*r.FirstContactAt) {
		p.UCRContacts++
		if r.FirstContactAt.Sub(r.ClockStart) <= UCRStandard {
			p.UCRWithin2h++
		}
	}
}
