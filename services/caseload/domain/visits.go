package domain

import (
	"slices"
	"strings"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
)

// Limits on what one scheduling step may plan.
const (
	// MaxOccurrences bounds a recurring series: eight weeks of daily visits.
	MaxOccurrences = 56
	// lateEntry is how far back a visit may be planned: a visit made
	// before it was put in the diary is still recorded, a typo of a year
	// is not.
	lateEntry = 14 * 24 * time.Hour
	// horizon is how far ahead visits may be planned.
	horizon = 366 * 24 * time.Hour
)

// VisitPlan is a visit, or a recurring series of visits, to schedule.
type VisitPlan struct {
	// FirstAt is when the (first) visit is planned.
	FirstAt         time.Time
	DurationMinutes int
	Purpose         VisitPurpose
	// Clinician who visits; nil means the keyworker.
	Clinician *Clinician
	// Recurrence repeats the visit; nil is a one-off.
	Recurrence *Recurrence
	// SeriesID names a recurring series.
	SeriesID string
	// VisitID names the i-th visit (the caller derives IDs from its command
	// ID, so a repeated command makes the same visits).
	VisitID func(i int) string
}

// ScheduleVisits plans a visit or a series. A series keeps the local time
// of day of its first visit: a daily 09:00 visit stays at 09:00 when the
// clocks change.
func (e *Episode) ScheduleVisits(p VisitPlan, now time.Time) ([]aggregate.Event, error) {
	if err := e.mustBe("schedule a visit", Allocated, Active, UnderReview); err != nil {
		return nil, err
	}
	clinician := e.keyworker
	if p.Clinician != nil {
		clinician = p.Clinician
	}
	if clinician == nil {
		return nil, errs.Invalid("clinicianId", "name the clinician who visits", "clinician-required")
	}
	if p.FirstAt.IsZero() {
		return nil, errs.Invalid("plannedAt", "is required", "planned-at-required")
	}
	if p.FirstAt.Before(now.Add(-lateEntry)) {
		return nil, errs.Invalid("plannedAt", "is more than 14 days ago", "planned-at-too-early")
	}
	if p.DurationMinutes == 0 {
		p.DurationMinutes = 30
	}
	if p.DurationMinutes < 5 || p.DurationMinutes > 480 {
		return nil, errs.Invalid("durationMinutes", "must be between 5 and 480", "duration-range")
	}
	n := 1
	if p.Recurrence != nil {
		n = p.Recurrence.Occurrences
		if n < 1 || n > MaxOccurrences {
			return nil, errs.Invalid("recurrence.occurrences", "must be between 1 and 56", "occurrences-range")
		}
		if p.SeriesID == "" {
			return nil, errs.Invalid("recurrence", "a series needs an ID", "series-id-required")
		}
	}
	first := p.FirstAt.In(London)
	visits := make([]ScheduledVisit, 0, n)
	for i := range n {
		at := first
		if p.Recurrence != nil {
			at = first.AddDate(0, 0, i*p.Recurrence.Frequency.days())
		}
		if at.After(now.Add(horizon)) {
			return nil, errs.Invalid("plannedAt", "visits are planned at most a year ahead", "planned-at-too-far")
		}
		id := p.VisitID(i)
		if _, dup := e.visits[id]; dup || id == "" {
			return nil, errs.Invalid("visitId", "this visit is already scheduled", "visit-exists")
		}
		for _, vid := range e.visitOrder {
			if v := e.visits[vid]; v.status == VisitPlanned && v.plannedAt.Equal(at) && v.clinician.ID == clinician.ID {
				return nil, errs.Invalid("plannedAt", "the clinician already has a visit planned to this patient at that time", "visit-double-booked")
			}
		}
		visits = append(visits, ScheduledVisit{VisitID: id, PlannedAt: at.UTC(), DurationMinutes: p.DurationMinutes, Purpose: p.Purpose, Clinician: *clinician})
	}
	ev := VisitsScheduled{EpisodeID: e.id, Visits: visits, ScheduledAt: now.UTC()}
	if p.Recurrence != nil {
		r := *p.Recurrence
		ev.Recurrence, ev.SeriesID = &r, p.SeriesID
	}
	return []aggregate.Event{ev}, nil
}

func (e *Episode) visit(id string) (*Visit, error) {
	v, ok := e.visits[id]
	if !ok {
		return nil, errs.NotFound("there is no such visit in this episode", "visit-not-found")
	}
	return v, nil
}

func visitSlug(s VisitStatus) string {
	return "visit-" + strings.ToLower(strings.ReplaceAll(string(s), "_", "-"))
}

// RecordVisitOutcome settles a planned visit. A visit that happened (or was
// attempted) cannot be dated in the future, before its planned day, or
// after the patient was admitted.
func (e *Episode) RecordVisitOutcome(visitID string, outcome VisitStatus, reason CancellationReason, at, now time.Time) ([]aggregate.Event, error) {
	if err := e.mustBe("record a visit outcome", Allocated, Active, UnderReview, Suspended); err != nil {
		return nil, err
	}
	v, err := e.visit(visitID)
	if err != nil {
		return nil, err
	}
	if v.status != VisitPlanned {
		return nil, errs.IllegalStep("record the visit outcome", string(v.status), visitSlug(v.status))
	}
	switch {
	case outcome == VisitPlanned || !slices.Contains(VisitOutcomes, outcome):
		return nil, errs.Invalid("outcome", "must be one of COMPLETED, CANCELLED, NO_ACCESS, DECLINED", "outcome-unknown")
	case outcome == VisitCancelled && reason == "":
		return nil, errs.Invalid("cancellationReason", "say why the visit was cancelled", "cancellation-reason-required")
	case outcome != VisitCancelled && reason != "":
		return nil, errs.Invalid("cancellationReason", "only a cancelled visit has a cancellation reason", "cancellation-reason-unexpected")
	}
	if outcome != VisitCancelled {
		if at.After(now.Add(clockSkew)) {
			return nil, errs.Invalid("at", "cannot be in the future", "outcome-at-future")
		}
		if at.Before(DateOf(v.plannedAt).Start()) {
			return nil, errs.Invalid("at", "is before the day the visit was planned for: cancel it and schedule another", "outcome-at-before-planned-day")
		}
		if e.status == Suspended && !at.Before(e.suspendedAt) {
			return nil, errs.IllegalStep("record a visit made after the patient was admitted", string(e.status), "episode-suspended")
		}
	}
	return []aggregate.Event{VisitOutcomeRecorded{EpisodeID: e.id, VisitID: visitID, Outcome: outcome, CancellationReason: reason, At: at.UTC()}}, nil
}

// ReassignVisits moves planned visits to another clinician (a team lead
// covering sickness or balancing a caseload).
func (e *Episode) ReassignVisits(visitIDs []string, to Clinician, at time.Time) ([]aggregate.Event, error) {
	if err := e.mustBe("reassign visits", Allocated, Active, UnderReview, Suspended); err != nil {
		return nil, err
	}
	if len(visitIDs) == 0 {
		return nil, errs.Invalid("visitIds", "name at least one visit", "visit-ids-required")
	}
	if len(visitIDs) > MaxOccurrences {
		return nil, errs.Invalid("visitIds", "at most 56 visits at a time", "visit-ids-too-many")
	}
	var moves []Reassignment
	seen := map[string]bool{}
	for _, id := range visitIDs {
		if seen[id] {
			return nil, errs.Invalid("visitIds", "names a visit twice", "visit-ids-duplicate")
		}
		seen[id] = true
		v, err := e.visit(id)
		if err != nil {
			return nil, err
		}
		if v.status != VisitPlanned {
			return nil, errs.IllegalStep("reassign the visit", string(v.status), visitSlug(v.status))
		}
		if v.clinician.ID == to.ID {
			continue
		}
		moves = append(moves, Reassignment{VisitID: id, From: v.clinician})
	}
	if len(moves) == 0 {
		return nil, errs.Invalid("clinicianId", "the visits are already with this clinician", "visits-already-assigned")
	}
	return []aggregate.Event{VisitsReassigned{EpisodeID: e.id, Visits: moves, To: to, ReassignedAt: at.UTC()}}, nil
}
