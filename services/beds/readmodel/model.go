// Package readmodel holds the beds service's read side in memory: the bed
// board (every bed's state, per ward and hospital), bed requests, stays with
// their patients, delayed discharges, beds awaiting clean with turnaround
// times, locality summaries and patient timelines.
//
// One projection (Model) handles every event of the service, in log order,
// so that the views agree with each other: a bed shown occupied always has
// its stay. It is rebuilt from the log at every start (bus.AddProjection).
// Handlers are idempotent: each stream's last applied revision is kept and a
// redelivered event is skipped.
//
// It imports pkg/eventbus, pkg/projection, pkg/eventstore and the service's
// domain and hospitals packages.
package readmodel

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"

	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/projection"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/hospitals"
)

// Name is the projection's consumer name.
const Name = "beds.BedBoard"

// Model is the read side. Every method is safe for concurrent use; views are
// returned as copies.
type Model struct {
	reg      *hospitals.Registry
	progress projection.Progress

	mu       sync.RWMutex
	applied  map[string]uint64 // stream → next revision to apply
	beds     map[string]*bedState
	requests map[string]*Request
	stays    map[string]*Stay
	// byPatient lists each patient's stays in order, by NHS number.
	byPatient  map[string][]string
	timeline   map[string][]TimelineEntry
	turnaround map[string]*samples // by hospital ID
}

// New is an empty model over the reference data: every bed available.
func New(reg *hospitals.Registry) *Model {
	m := &Model{
		reg: reg, applied: map[string]uint64{}, beds: map[string]*bedState{}, requests: map[string]*Request{},
		stays: map[string]*Stay{}, byPatient: map[string][]string{}, timeline: map[string][]TimelineEntry{},
		turnaround: map[string]*samples{},
	}
	for _, id := range reg.BedIDs() {
		b, _ := reg.Bed(id)
		m.beds[id] = &bedState{Bed: Bed{ID: b.ID, Label: b.Label, WardID: b.WardID, HospitalID: b.HospitalID, SideRoom: b.SideRoom, Status: domain.Available}}
	}
	for _, h := range reg.Hospitals() {
		m.turnaround[h.ID] = &samples{}
	}
	return m
}

// Position is how far the model has applied the log.
func (m *Model) Position() eventstore.Position { return m.progress.Position() }

// WaitFor blocks until the model has applied pos (read-your-writes).
func (m *Model) WaitFor(ctx context.Context, pos eventstore.Position) error {
	return m.progress.WaitFor(ctx, pos)
}

// Handlers are the projection's handlers, one per event type.
func (m *Model) Handlers() []cqrs.GroupEventHandler {
	return []cqrs.GroupEventHandler{
		handle(m, m.onBedRequestRaised), handle(m, m.onBedRequestAccepted), handle(m, m.onBedRequestDeclined), handle(m, m.onBedAllocated),
		handle(m, m.onBedAllocationCancelled),
		handle(m, m.onBedReserved), handle(m, m.onBedReservationReleased), handle(m, m.onBedAllocationAbandoned), handle(m, m.onBedOccupied),
		handle(m, m.onBedVacated), handle(m, m.onBedCleaned), handle(m, m.onBedClosed), handle(m, m.onBedReopened),
		handle(m, m.onStayAllocated), handle(m, m.onStayBedConfirmed), handle(m, m.onStayAllocationFailed), handle(m, m.onPatientAdmitted),
		handle(m, m.onStayTransferStarted), handle(m, m.onStayTransferFailed), handle(m, m.onPatientTransferred),
		handle(m, m.onNoCriteriaToResideRecorded), handle(m, m.onPatientDischarged),
	}
}

// handle wraps an On method: skip what this stream has already applied,
// apply under the lock, advance the progress.
func handle[E any](m *Model, on func(e *E)) cqrs.GroupEventHandler {
	return cqrs.NewGroupEventHandler(func(ctx context.Context, e *E) error {
		d, ok := eventbus.DeliveryFrom(ctx)
		m.mu.Lock()
		if ok {
			if next, seen := m.applied[d.Stream]; seen && d.Revision < next {
				m.mu.Unlock()
				m.progress.Advance(d.Position)
				return nil
			}
			m.applied[d.Stream] = d.Revision + 1
		}
		on(e)
		m.mu.Unlock()
		if ok {
			m.progress.Advance(d.Position)
		}
		return nil
	})
}

// samples keeps the most recent turnaround times of a hospital.
type samples struct {
	minutes []float64
}

const keepSamples = 200

func (s *samples) add(v float64) {
	s.minutes = append(s.minutes, v)
	if len(s.minutes) > keepSamples {
		s.minutes = s.minutes[len(s.minutes)-keepSamples:]
	}
}

// Turnaround summarises how long beds waited for cleaning.
type Turnaround struct {
	// Cleans is how many recent cleans the figures cover.
	Cleans        int
	MeanMinutes   float64
	MedianMinutes float64
	P90Minutes    float64
}

func summarise(v []float64) Turnaround {
	if len(v) == 0 {
		return Turnaround{}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return Turnaround{Cleans: len(s), MeanMinutes: sum / float64(len(s)), MedianMinutes: s[len(s)/2], P90Minutes: s[(len(s)*9)/10]}
}

func minutes(d time.Duration) float64 { return float64(d.Round(time.Second)) / float64(time.Minute) }
