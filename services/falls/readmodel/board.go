// Package readmodel holds the falls service's read model: the dispatch
// board, in memory, rebuilt from the log at every start.
//
// One projection applies both incidents' and units' events, in log order, so
// that the board never shows a unit on scene at an incident that is still
// queued: the responders' states are consistent with the incidents because
// they are read from the same fold. Computed figures that depend on the
// clock (time on the floor, breaches) are left to the app layer.
//
// It imports the falls domain, pkg/eventbus (delivery facts) and
// pkg/projection.
package readmodel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"

	"carecoord/pkg/eventbus"
	"carecoord/pkg/projection"
	"carecoord/services/falls/domain"
)

// Incident is an incident as the board shows it. Values handed out are
// copies: the board replaces, never mutates, what it has handed out.
type Incident struct {
	ID               string
	Status           domain.Status
	Source           domain.Source
	AlertedAt        time.Time
	FellAt           time.Time // zero: unknown
	Address          domain.Address
	IncidentLocality string
	Locality         string // the patient's
	Patient          domain.Patient
	Triage           *Triage
	Escalation       *Escalation
	// Dispatch is the unit now assigned; nil when none.
	Dispatch      *Dispatch
	LiftedAt      time.Time
	LiftEquipment string
	Outcome       *Outcome
	ClosedAt      time.Time
	CloseReason   domain.CloseReason
	Timeline      []TimelineEntry
	// Revision is the incident stream's revision the board has applied.
	Revision uint64
}

// Triage is the latest triage.
type Triage struct {
	RedFlags []domain.RedFlag
	Injury   domain.Injury
	Response domain.Response
	Notes    string
	At       time.Time
	By       string
}

// Escalation is the hand-over to 999.
type Escalation struct {
	At                 time.Time
	By                 string
	Reason             string
	AmbulanceReference string
	LineKeptOpen       bool
}

// Dispatch is a unit's assignment as the incident knows it.
type Dispatch struct {
	AssignmentID string
	ResponderID  string
	CallSign     string
	Level        domain.Level
	DispatchedAt time.Time
	DispatchedBy string
	EnRouteAt    time.Time
	ArrivedAt    time.Time
}

// Outcome is the recorded outcome.
type Outcome struct {
	Outcome      domain.Outcome
	ReferTo      []domain.ReferTo
	ClinicalNeed string
	RecordedAt   time.Time
	RecordedBy   string
}

// TimelineEntry is one step of an incident, for Patient.timeline. Summary
// is a short phrase with no clinical detail and no patient data.
type TimelineEntry struct {
	At      time.Time
	Type    string
	Summary string
	seq     uint64
}

// Seq orders entries with the same time: their place in the log.
func (e TimelineEntry) Seq() uint64 { return e.seq }

// OnFloorSince is when the patient's time on the floor started.
func (i Incident) OnFloorSince() time.Time {
	if !i.FellAt.IsZero() {
		return i.FellAt
	}
	return i.AlertedAt
}

// Clock is the incident's time-on-the-floor clock.
func (i Incident) Clock() domain.FloorClock {
	var outcomeAt time.Time
	if i.Outcome != nil {
		outcomeAt = i.Outcome.RecordedAt
	}
	return domain.NewFloorClock(i.AlertedAt, i.FellAt, i.LiftedAt, outcomeAt, i.CloseReason)
}

// Responder is a unit's state as its stream says; the unit's reference data
// and whether it is on scene are joined in by the caller.
type Responder struct {
	ID           string
	OnDuty       bool
	AssignmentID string
	IncidentID   string
	// Since is when the unit's current state began.
	Since time.Time
	// Revision is the unit stream's revision the board has applied; -1
	// when the unit has no events.
	Revision int64
}

// AssignmentState is how far one dispatch has gone: taken by the unit,
// then taken or refused by the incident.
type AssignmentState struct {
	ID          string
	ResponderID string
	IncidentID  string
	// Taken: the incident recorded the dispatch.
	Taken bool
	// Released: the unit's assignment ended; Refusal says why, when the
	// incident refused it.
	Released bool
	Refusal  *domain.Refusal
}

// Resolved reports whether the incident has taken or refused the assignment.
func (s AssignmentState) Resolved() bool { return s.Taken || s.Refusal != nil || s.Released }

// Board is the dispatch board.
type Board struct {
	mu          sync.RWMutex
	incidents   map[string]*Incident
	responders  map[string]*Responder
	assignments map[string]*AssignmentState
	changed     chan struct{}
	progress    projection.Progress
}

// NewBoard returns an empty board.
func NewBoard() *Board {
	return &Board{incidents: map[string]*Incident{}, responders: map[string]*Responder{},
		assignments: map[string]*AssignmentState{}, changed: make(chan struct{})}
}

// Progress is how far the board has applied the log.
func (b *Board) Progress() *projection.Progress { return &b.progress }

// WaitUntil blocks until cond holds or ctx ends, checking it again after
// every event the board applies. cond may read the board (it is called
// without the board's lock held).
func (b *Board) WaitUntil(ctx context.Context, cond func() bool) error {
	for {
		b.mu.RLock()
		ch := b.changed
		b.mu.RUnlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Incident returns one incident.
func (b *Board) Incident(id string) (Incident, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	i, ok := b.incidents[id]
	if !ok {
		return Incident{}, false
	}
	return i.copy(), true
}

// Incidents returns the incidents keep accepts, in no particular order.
func (b *Board) Incidents(keep func(*Incident) bool) []Incident {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := []Incident{}
	for _, i := range b.incidents {
		if keep(i) {
			out = append(out, i.copy())
		}
	}
	return out
}

// Responder returns a unit's state; a unit with no events is off duty.
func (b *Board) Responder(id string) Responder {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if r, ok := b.responders[id]; ok {
		return *r
	}
	return Responder{ID: id, Revision: -1}
}

// ResponderOnScene returns a unit's state and, when its incident has recorded
// the unit's arrival, the arrival time, read together so that the two agree.
func (b *Board) ResponderOnScene(id string) (Responder, time.Time) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	r, ok := b.responders[id]
	if !ok {
		return Responder{ID: id, Revision: -1}, time.Time{}
	}
	if i, ok := b.incidents[r.IncidentID]; ok && i.Dispatch != nil && i.Dispatch.AssignmentID == r.AssignmentID {
		return *r, i.Dispatch.ArrivedAt
	}
	return *r, time.Time{}
}

// Assignment returns how far a dispatch has gone.
func (b *Board) Assignment(id string) (AssignmentState, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	a, ok := b.assignments[id]
	if !ok {
		return AssignmentState{}, false
	}
	return *a, true
}

// copy hands out the incident; the slices are capped so that a later append
// by the board never shows through.
func (i *Incident) copy() Incident {
	c := *i
	c.Timeline = i.Timeline[:len(i.Timeline):len(i.Timeline)]
	return c
}

// Handlers are the board's event handlers, one per event, registered as
// one group so that the board sees its events in log order.
func (b *Board) Handlers() []cqrs.GroupEventHandler {
	return []cqrs.GroupEventHandler{
		cqrs.NewGroupEventHandler(b.OnFallReported),
		cqrs.NewGroupEventHandler(b.OnFallPatientLinked),
		cqrs.NewGroupEventHandler(b.OnFallTriaged),
		cqrs.NewGroupEventHandler(b.OnFallEscalatedTo999),
		cqrs.NewGroupEventHandler(b.OnFallResponderDispatched),
		cqrs.NewGroupEventHandler(b.OnFallDispatchCancelled),
		cqrs.NewGroupEventHandler(b.OnFallResponderEnRoute),
		cqrs.NewGroupEventHandler(b.OnFallResponderOnScene),
		cqrs.NewGroupEventHandler(b.OnFallPatientLifted),
		cqrs.NewGroupEventHandler(b.OnFallOutcomeRecorded),
		cqrs.NewGroupEventHandler(b.OnFallClosed),
		cqrs.NewGroupEventHandler(b.OnResponderStatusSet),
		cqrs.NewGroupEventHandler(b.OnResponderAssigned),
		cqrs.NewGroupEventHandler(b.OnResponderReleased),
	}
}

var errNoDelivery = errors.New("readmodel: handler called without a delivery")

// apply runs one event under the lock, at most once per stream revision,
// then advances the board's progress and wakes waiters.
func (b *Board) apply(ctx context.Context, fn func(d eventbus.Delivery) error) error {
	d, ok := eventbus.DeliveryFrom(ctx)
	if !ok {
		return errNoDelivery
	}
	b.mu.Lock()
	err := fn(d)
	if err == nil {
		close(b.changed)
		b.changed = make(chan struct{})
	}
	b.mu.Unlock()
	if err != nil {
		return err
	}
	b.progress.Advance(d.Position)
	return nil
}

// incident applies an event of an existing incident's stream, skipping a
// redelivery; mutate replaces what it changes (see Incident).
func (b *Board) incident(ctx context.Context, id string, at time.Time, typ, summary string, mutate func(i *Incident)) error {
	return b.apply(ctx, func(d eventbus.Delivery) error {
		i, ok := b.incidents[id]
		if !ok {
			// Every incident stream starts with FallReported: an event of an
			// unknown incident is a broken log, not something to retry.
			return fmt.Errorf("readmodel: %s for an unknown incident at %s@%d", typ, d.Stream, d.Revision)
		}
		if d.Revision <= i.Revision {
			return nil
		}
		i.Revision = d.Revision
		mutate(i)
		if summary != "" {
			i.Timeline = append(i.Timeline, TimelineEntry{At: at, Type: typ, Summary: summary, seq: uint64(d.Position)})
		}
		return nil
	})
}

// OnFallReported adds an incident.
func (b *Board) OnFallReported(ctx context.Context, e *domain.FallReported) error {
	return b.apply(ctx, func(d eventbus.Delivery) error {
		if _, ok := b.incidents[e.IncidentID]; ok {
			return nil
		}
		i := &Incident{ID: e.IncidentID, Status: domain.StatusAlertReceived, Source: e.Source, AlertedAt: e.AlertedAt,
			Address: e.Address, IncidentLocality: e.IncidentLocality, Locality: e.Locality, Patient: e.Patient, Revision: d.Revision}
		if e.EstimatedFallAt != nil {
			i.FellAt = *e.EstimatedFallAt
		}
		i.Timeline = []TimelineEntry{{At: e.AlertedAt, Type: e.EventType(), Summary: "Fall reported (" + e.Source.Phrase() + ")", seq: uint64(d.Position)}}
		b.incidents[e.IncidentID] = i
		return nil
	})
}

// OnFallPatientLinked records who the patient is.
func (b *Board) OnFallPatientLinked(ctx context.Context, e *domain.FallPatientLinked) error {
	return b.incident(ctx, e.IncidentID, e.LinkedAt, e.EventType(), "Patient identified on the fall incident", func(i *Incident) {
		i.Patient, i.Locality = e.Patient, e.Locality
	})
}

// OnFallTriaged records triage and queues (or holds for 999).
func (b *Board) OnFallTriaged(ctx context.Context, e *domain.FallTriaged) error {
	return b.incident(ctx, e.IncidentID, e.TriagedAt, e.EventType(), "Fall triaged: "+e.Response.Phrase(), func(i *Incident) {
		i.Triage = &Triage{RedFlags: e.RedFlags, Injury: e.Injury, Response: e.Response, Notes: deref(e.Notes), At: e.TriagedAt, By: e.TriagedBy}
		i.Status = domain.StatusQueued
		if e.Response == domain.Response999 {
			i.Status = domain.StatusTriaged
		}
	})
}

// OnFallEscalatedTo999 records the hand-over to 999.
func (b *Board) OnFallEscalatedTo999(ctx context.Context, e *domain.FallEscalatedTo999) error {
	return b.incident(ctx, e.IncidentID, e.EscalatedAt, e.EventType(), "Fall escalated to 999", func(i *Incident) {
		i.Status = domain.StatusEscalated999
		i.Escalation = &Escalation{At: e.EscalatedAt, By: e.EscalatedBy, Reason: deref(e.Reason), AmbulanceReference: deref(e.AmbulanceReference), LineKeptOpen: e.LineKeptOpen}
		if e.StandDown != nil {
			i.Dispatch = nil
		}
	})
}

// OnFallResponderDispatched records the unit the incident took.
func (b *Board) OnFallResponderDispatched(ctx context.Context, e *domain.FallResponderDispatched) error {
	return b.incident(ctx, e.IncidentID, e.DispatchedAt, e.EventType(), "Falls responder dispatched ("+e.CallSign+")", func(i *Incident) {
		i.Status = domain.StatusDispatched
		i.Dispatch = &Dispatch{AssignmentID: e.AssignmentID, ResponderID: e.ResponderID, CallSign: e.CallSign, Level: e.Level,
			DispatchedAt: e.DispatchedAt, DispatchedBy: e.DispatchedBy}
		a := b.assignment(e.AssignmentID, e.ResponderID, e.IncidentID)
		a.Taken = true
	})
}

// OnFallDispatchCancelled re-queues the incident.
func (b *Board) OnFallDispatchCancelled(ctx context.Context, e *domain.FallDispatchCancelled) error {
	return b.incident(ctx, e.IncidentID, e.CancelledAt, e.EventType(), "Falls responder stood down", func(i *Incident) {
		i.Status = domain.StatusQueued
		i.Dispatch = nil
	})
}

// OnFallResponderEnRoute records the unit on its way.
func (b *Board) OnFallResponderEnRoute(ctx context.Context, e *domain.FallResponderEnRoute) error {
	return b.incident(ctx, e.IncidentID, e.EnRouteAt, e.EventType(), "Falls responder en route", func(i *Incident) {
		i.Status = domain.StatusEnRoute
		if i.Dispatch != nil {
			d := *i.Dispatch
			d.EnRouteAt = e.EnRouteAt
			i.Dispatch = &d
		}
	})
}

// OnFallResponderOnScene records the unit's arrival.
func (b *Board) OnFallResponderOnScene(ctx context.Context, e *domain.FallResponderOnScene) error {
	return b.incident(ctx, e.IncidentID, e.ArrivedAt, e.EventType(), "Falls responder on scene", func(i *Incident) {
		i.Status = domain.StatusOnScene
		if i.Dispatch != nil {
			d := *i.Dispatch
			d.ArrivedAt = e.ArrivedAt
			i.Dispatch = &d
		}
	})
}

// OnFallPatientLifted stops the floor clock.
func (b *Board) OnFallPatientLifted(ctx context.Context, e *domain.FallPatientLifted) error {
	return b.incident(ctx, e.IncidentID, e.LiftedAt, e.EventType(), "Patient lifted from the floor", func(i *Incident) {
		i.LiftedAt, i.LiftEquipment = e.LiftedAt, deref(e.Equipment)
	})
}

// OnFallOutcomeRecorded records the outcome; the unit's work there ended.
func (b *Board) OnFallOutcomeRecorded(ctx context.Context, e *domain.FallOutcomeRecorded) error {
	return b.incident(ctx, e.IncidentID, e.RecordedAt, e.EventType(), "Fall outcome: "+e.Outcome.Phrase(), func(i *Incident) {
		i.Status = domain.StatusOutcomeRecorded
		i.Outcome = &Outcome{Outcome: e.Outcome, ReferTo: e.ReferTo, ClinicalNeed: deref(e.ClinicalNeed), RecordedAt: e.RecordedAt, RecordedBy: e.RecordedBy}
		i.Dispatch = nil
	})
}

// OnFallClosed closes the incident.
func (b *Board) OnFallClosed(ctx context.Context, e *domain.FallClosed) error {
	return b.incident(ctx, e.IncidentID, e.ClosedAt, e.EventType(), "Fall incident closed", func(i *Incident) {
		i.Status = domain.StatusClosed
		i.ClosedAt, i.CloseReason = e.ClosedAt, e.Reason
		i.Dispatch = nil
	})
}

// responder applies an event of a unit's stream, skipping a redelivery.
func (b *Board) responder(ctx context.Context, id string, mutate func(r *Responder)) error {
	return b.apply(ctx, func(d eventbus.Delivery) error {
		r, ok := b.responders[id]
		if !ok {
			r = &Responder{ID: id, Revision: -1}
			b.responders[id] = r
		}
		if int64(d.Revision) <= r.Revision {
			return nil
		}
		r.Revision = int64(d.Revision)
		mutate(r)
		return nil
	})
}

// OnResponderStatusSet books a unit on or off.
func (b *Board) OnResponderStatusSet(ctx context.Context, e *domain.ResponderStatusSet) error {
	return b.responder(ctx, e.ResponderID, func(r *Responder) {
		r.OnDuty = e.Status == domain.DutyAvailable
		r.Since = e.SetAt
	})
}

// OnResponderAssigned commits a unit.
func (b *Board) OnResponderAssigned(ctx context.Context, e *domain.ResponderAssigned) error {
	return b.responder(ctx, e.ResponderID, func(r *Responder) {
		r.AssignmentID, r.IncidentID, r.Since = e.AssignmentID, e.IncidentID, e.AssignedAt
		b.assignment(e.AssignmentID, e.ResponderID, e.IncidentID)
	})
}

// OnResponderReleased frees a unit.
func (b *Board) OnResponderReleased(ctx context.Context, e *domain.ResponderReleased) error {
	return b.responder(ctx, e.ResponderID, func(r *Responder) {
		if r.AssignmentID == e.AssignmentID {
			r.AssignmentID, r.IncidentID, r.Since = "", "", e.ReleasedAt
		}
		a := b.assignment(e.AssignmentID, e.ResponderID, e.IncidentID)
		a.Released, a.Refusal = true, e.Refusal
	})
}

func (b *Board) assignment(id, responder, incident string) *AssignmentState {
	a, ok := b.assignments[id]
	if !ok {
		a = &AssignmentState{ID: id, ResponderID: responder, IncidentID: incident}
		b.assignments[id] = a
	}
	return a
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
