package domain

import "time"

// LongLie is the time on the floor beyond which a lie is a breach: a lie of
// more than an hour is strongly linked to serious injury, admission and
// moving into long-term care (DOMAIN.md).
const LongLie = time.Hour

// FloorClock is the time a patient spends on the floor: from the estimated
// fall (or the alert, when nobody knows when they fell) to the lift. It is
// the measure of a falls service that matters.
type FloorClock struct {
	// Since is the estimated fall time, else the alert time.
	Since time.Time
	// StoppedAt is the lift; or, for a response that ended without a lift
	// (help declined, conveyed by ambulance), the outcome, when the patient
	// stopped waiting for this service. Zero while the clock runs.
	StoppedAt time.Time
	// Void marks an alert closed as a duplicate or a false alarm: nobody was
	// on the floor, and there is no time to count.
	Void bool
}

// NewFloorClock builds the clock from an incident's facts; zero times are
// unknown or not yet reached.
func NewFloorClock(alertedAt, fellAt, liftedAt, outcomeAt time.Time, closed CloseReason) FloorClock {
	c := FloorClock{Since: alertedAt}
	if !fellAt.IsZero() {
		c.Since = fellAt
	}
	switch {
	case !liftedAt.IsZero():
		c.StoppedAt = liftedAt
	case !outcomeAt.IsZero():
		c.StoppedAt = outcomeAt
	case closed != "" && closed != CloseCompleted:
		c.Void = true
	}
	return c
}

// Running reports whether the patient is still on the floor as far as the
// service knows.
func (c FloorClock) Running() bool { return !c.Void && c.StoppedAt.IsZero() }

// Elapsed is the time on the floor at now (never negative).
func (c FloorClock) Elapsed(now time.Time) time.Duration {
	if c.Void || c.Since.IsZero() {
		return 0
	}
	end := now
	if !c.StoppedAt.IsZero() {
		end = c.StoppedAt
	}
	if d := end.Sub(c.Since); d > 0 {
		return d
	}
	return 0
}

// Breached reports whether the lie was (or is, at now) longer than LongLie.
func (c FloorClock) Breached(now time.Time) bool { return !c.Void && c.Elapsed(now) > LongLie }

// BreachAt is when the lie becomes a breach.
func (c FloorClock) BreachAt() time.Time { return c.Since.Add(LongLie) }
