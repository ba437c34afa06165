package readmodel

import (
	"slices"
	"time"

	"carecoord/services/referrals/domain"
)

// UCR measure thresholds: the 2-hour standard, and the point from which an
// open UCR referral is shown as at risk of breaching it.
const (
	UCRStandard  = 2 * time.Hour
	UCRAtRiskAge = 90 * time.Minute
)

// Referral is one referral as the read side shows it: its details, where it
// is, and its history. Values handed out are copies; the pointed-to parts are
// never changed after they are built, so copies may share them.
type Referral struct {
	ID               string
	Status           domain.Status
	Locality         string
	Patient          domain.PatientBlock
	Referrer         domain.Referrer
	ReceivedAt       time.Time
	RecordedAt       time.Time
	Reason           domain.Reason
	ServiceRequested string
	Priority         domain.Priority
	// UCR is whether the referral is (still) a UCR 2-hour referral; triage
	// may take it out. ReceivedAsUCR is what the referrer asked for.
	UCR                   bool
	ReceivedAsUCR         bool
	Consent               domain.Consent
	RiskFlags             []domain.RiskFlag
	Notes                 *string
	SourceReference       *string
	Triage                *Triage
	InformationReceivedAt *time.Time
	Allocation            *Allocation
	FirstContactAt        *time.Time
	PatientChoseLaterTime bool
	PatientPreferredAt    *time.Time
	Closure               *Closure
	// ClockStart is when the service held a referral it could act on:
	// received, or when requested information arrived.
	ClockStart time.Time
	History    []HistoryEntry
	// Revision is the stream revision of the last event applied.
	Revision uint64
}

// Triage is the latest triage decision.
type Triage struct {
	Outcome       domain.TriageOutcome
	At            time.Time
	By            string
	Priority      domain.Priority
	Reason        *string
	Service       *string
	Information   *string
	RequestedFrom *string
}

// Allocation is who will see the patient.
type Allocation struct {
	Team          string
	ClinicianID   string
	ClinicianName *string
	At            time.Time
	By            string
}

// Closure is how the referral ended unseen.
type Closure struct {
	Kind   domain.Closure
	Reason string
	At     time.Time
	By     string
}

// HistoryEntry is one step of the referral's history: business time, the
// event's name, a short non-clinical summary, who, and the status after it.
type HistoryEntry struct {
	At      time.Time
	Type    string
	Summary string
	By      string
	Status  domain.Status
}

func (r *Referral) clone() Referral {
	c := *r
	c.RiskFlags = slices.Clone(r.RiskFlags)
	c.History = slices.Clone(r.History)
	return c
}

// InUCRMeasure reports whether the referral counts towards the UCR 2-hour
// measure: a UCR referral the patient did not choose to defer, and not a
// record made in error.
func (r Referral) InUCRMeasure() bool {
	return r.UCR && !r.PatientChoseLaterTime && r.Status != domain.StatusEnteredInError
}

// Clock is a UCR referral's 2-hour clock.
type Clock struct {
	StartedAt time.Time
	// StoppedAt is the first face-to-face contact; nil while running.
	StoppedAt *time.Time
	// Elapsed is from start to stop, or to now while running.
	Elapsed time.Duration
	// Running: the service owes the patient a first contact within 2 hours.
	Running bool
	// Within2Hours is set once the clock has stopped.
	Within2Hours *bool
	// AtRisk: running for more than 90 minutes (this includes Breached).
	AtRisk   bool
	Breached bool
	// Excluded: the patient chose a later time; the measure leaves it out.
	Excluded bool
}

// UCRClock is the referral's 2-hour clock at now; ok is false for a
// referral that is not a UCR 2-hour referral.
func (r Referral) UCRClock(now time.Time) (Clock, bool) {
	if !r.UCR {
		return Clock{}, false
	}
	c := Clock{StartedAt: r.ClockStart, Excluded: r.PatientChoseLaterTime}
	switch {
	case r.FirstContactAt != nil:
		c.StoppedAt = r.FirstContactAt
		c.Elapsed = r.FirstContactAt.Sub(r.ClockStart)
		within := c.Elapsed <= UCRStandard
		c.Within2Hours = &within
		c.Breached = !within
	case r.clockRunning():
		c.Running = true
		c.Elapsed = max(now.Sub(r.ClockStart), 0)
		c.Breached = c.Elapsed > UCRStandard
		c.AtRisk = !c.Excluded && c.Elapsed > UCRAtRiskAge
	default:
		// Closed unseen, or waiting for information: no clock.
	}
	return c, true
}

// clockRunning: the service holds the referral and can act on it.
func (r Referral) clockRunning() bool {
	switch r.Status {
	case domain.StatusReceived, domain.StatusWaiting, domain.StatusAllocated:
		return true
	}
	return false
}

// Band is a band of the national waiting-list report.
type Band struct {
	Label    string
	MinWeeks int
	// MaxWeeks is the band's exclusive upper bound; 0 for the open top band.
	MaxWeeks int
}

// Bands are the waiting-list bands reported monthly, in weeks.
var Bands = []Band{
	{"0-1", 0, 1}, {"1-2", 1, 2}, {"2-4", 2, 4}, {"4-12", 4, 12},
	{"12-18", 12, 18}, {"18-52", 18, 52}, {"52+", 52, 0},
}

// Waiting is how long an open referral has waited for its first contact at
// now (from receipt) and its band; ok is false for a closed referral.
func (r Referral) Waiting(now time.Time) (time.Duration, Band, bool) {
	if !r.Status.Open() {
		return 0, Band{}, false
	}
	w := max(now.Sub(r.ReceivedAt), 0)
	return w, BandOf(w), true
}

// BandOf is the waiting-list band of a wait.
func BandOf(w time.Duration) Band {
	weeks := w / (7 * 24 * time.Hour)
	for _, b := range Bands {
		if b.MaxWeeks == 0 || weeks < time.Duration(b.MaxWeeks) {
			return b
		}
	}
	return Bands[len(Bands)-1]
}
