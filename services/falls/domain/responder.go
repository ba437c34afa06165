package domain

import (
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
)

// Unit is a falls responder unit from the reference data.
type Unit struct {
	ID           string
	CallSign     string
	BaseLocality string
	Level        Level
}

// Responder is a unit's availability and its one assignment. It is the
// aggregate that makes "a unit is never sent to two incidents" true: an
// assignment is taken on its stream with optimistic concurrency, so of two
// dispatchers sending the same unit at once exactly one succeeds.
type Responder struct {
	id     string
	onDuty bool
	// assignmentID and incidentID are the current assignment ("" when free).
	assignmentID string
	incidentID   string
}

// NewResponder is the state of a unit with no history: off duty.
func NewResponder(id string) *Responder { return &Responder{id: id} }

// OnDuty reports whether the unit is booked on shift.
func (r *Responder) OnDuty() bool { return r.onDuty }

// Current is the unit's assignment, if any.
func (r *Responder) Current() (assignmentID, incidentID string, ok bool) {
	return r.assignmentID, r.incidentID, r.assignmentID != ""
}

// Holds reports whether the unit's current assignment is assignmentID.
func (r *Responder) Holds(assignmentID string) bool {
	return assignmentID != "" && r.assignmentID == assignmentID
}

// SetStatus books the unit on (AVAILABLE) or off (OFF_DUTY) shift. A unit
// with an assignment is neither: it is released by its incident first.
// Setting the status it already has records nothing.
func (r *Responder) SetStatus(s DutyStatus, by string, at time.Time) ([]aggregate.Event, error) {
	if r.assignmentID != "" {
		return nil, errs.IllegalStep("change the responder's status", "committed to an incident (DISPATCHED or ON_SCENE)", "responder-committed")
	}
	if (s == DutyAvailable) == r.onDuty {
		return nil, nil
	}
	return []aggregate.Event{ResponderStatusSet{ResponderID: r.id, Status: s, SetAt: at, SetBy: by}}, nil
}

// Assign takes an assignment to an incident: only an available unit can.
func (r *Responder) Assign(u Unit, assignmentID, incidentID, by string, at time.Time) ([]aggregate.Event, error) {
	if r.assignmentID != "" {
		return nil, errs.IllegalStep("dispatch the responder", "already committed to an incident (DISPATCHED or ON_SCENE)", "responder-committed")
	}
	if !r.onDuty {
		return nil, errs.IllegalStep("dispatch the responder", "off duty (OFF_DUTY)", "responder-off-duty")
	}
	return []aggregate.Event{ResponderAssigned{ResponderID: r.id, AssignmentID: assignmentID, IncidentID: incidentID,
		CallSign: u.CallSign, Level: u.Level, AssignedAt: at, AssignedBy: by}}, nil
}

// Release ends the assignment. Releasing an assignment the unit no longer
// holds records nothing, so that every path that ends an assignment may
// release it, as often as it is retried.
func (r *Responder) Release(assignmentID string, reason ReleaseReason, refusal *Refusal, at time.Time) []aggregate.Event {
	if !r.Holds(assignmentID) {
		return nil
	}
	return []aggregate.Event{ResponderReleased{ResponderID: r.id, AssignmentID: assignmentID, IncidentID: r.incidentID,
		Reason: reason, Refusal: refusal, ReleasedAt: at}}
}

// Apply folds an event into the unit.
func (r *Responder) Apply(e aggregate.Event) {
	switch e := e.(type) {
	case ResponderStatusSet:
		r.onDuty = e.Status == DutyAvailable
	case ResponderAssigned:
		r.assignmentID, r.incidentID = e.AssignmentID, e.IncidentID
	case ResponderReleased:
		if r.assignmentID == e.AssignmentID {
			r.assignmentID, r.incidentID = "", ""
		}
	}
}
