// Package readmodel holds the referrals service's read side in memory: every
// referral with its history, indexed by locality and by patient, and the
// figures derived from them (the locality queue, the UCR 2-hour measure, the
// waiting-list bands). It is a projection of the referral streams, rebuilt
// from the log at every start; its handlers are idempotent by stream
// revision, because delivery is at least once.
//
// It imports the service's domain package, watermill's cqrs (for handler
// registration), pkg/eventbus, pkg/eventstore and pkg/projection.
package readmodel

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"

	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/projection"
	"carecoord/services/referrals/domain"
)

// ConsumerName is the projection's name on the bus.
const ConsumerName = "referrals.Referrals"

// Model is the referrals read model.
type Model struct {
	progress projection.Progress

	mu         sync.RWMutex
	byID       map[string]*Referral
	byLocality map[string]map[string]*Referral
	byPatient  map[string]map[string]*Referral
	// changed is closed (and replaced) whenever a referral changes, to wake
	// WaitForRevision.
	changed chan struct{}
}

// New returns an empty model.
func New() *Model {
	return &Model{
		byID:       map[string]*Referral{},
		byLocality: map[string]map[string]*Referral{},
		byPatient:  map[string]map[string]*Referral{},
		changed:    make(chan struct{}),
	}
}

// Progress is how far the model has applied the log.
func (m *Model) Progress() *projection.Progress { return &m.progress }

// WaitFor blocks until the model has applied the event at pos.
func (m *Model) WaitFor(ctx context.Context, pos eventstore.Position) error {
	return m.progress.WaitFor(ctx, pos)
}

// WaitForRevision blocks until the model shows the referral at stream
// revision rev or later (for a repeated command, whose position is not
// known).
func (m *Model) WaitForRevision(ctx context.Context, id string, rev uint64) error {
	for {
		m.mu.RLock()
		r, ok := m.byID[id]
		done := ok && r.Revision >= rev
		ch := m.changed
		m.mu.RUnlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Get returns a referral.
func (m *Model) Get(id string) (Referral, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.byID[id]
	if !ok {
		return Referral{}, false
	}
	return r.clone(), true
}

// Locality returns a locality's referrals in the given statuses (the open
// ones when none are given) as a queue: most urgent priority first, then
// the longest waiting.
func (m *Model) Locality(locality string, statuses []domain.Status) []Referral {
	if len(statuses) == 0 {
		statuses = domain.OpenStatuses
	}
	m.mu.RLock()
	out := make([]Referral, 0, len(m.byLocality[locality]))
	for _, r := range m.byLocality[locality] {
		if slices.Contains(statuses, r.Status) {
			out = append(out, r.clone())
		}
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b Referral) int {
		return cmp.Or(
			cmp.Compare(a.Priority.Rank(), b.Priority.Rank()),
			a.ReceivedAt.Compare(b.ReceivedAt),
			cmp.Compare(a.ID, b.ID),
		)
	})
	return out
}

// Patient returns a patient's referrals, newest first. Referrals entered in
// error are left out: they may belong to someone else.
func (m *Model) Patient(nhsNumber string) []Referral {
	m.mu.RLock()
	out := make([]Referral, 0, len(m.byPatient[nhsNumber]))
	for _, r := range m.byPatient[nhsNumber] {
		if r.Status != domain.StatusEnteredInError {
			out = append(out, r.clone())
		}
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b Referral) int {
		return cmp.Or(b.ReceivedAt.Compare(a.ReceivedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// each calls fn for every referral of a locality ("" for all) under the
// read lock; fn must not keep the pointer.
func (m *Model) each(locality string, fn func(*Referral)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if locality == "" {
		for _, r := range m.byID {
			fn(r)
		}
		return
	}
	for _, r := range m.byLocality[locality] {
		fn(r)
	}
}

// Handlers are the model's event handlers, one per referral event, for
// eventbus.Bus.AddProjection: one group, so it sees each stream in order.
func (m *Model) Handlers() []cqrs.GroupEventHandler {
	return []cqrs.GroupEventHandler{
		cqrs.NewGroupEventHandler(m.OnReferralReceived),
		on(m, func(e *domain.ReferralAccepted) string { return e.ReferralID }, applyAccepted),
		on(m, func(e *domain.ReferralRejected) string { return e.ReferralID }, applyRejected),
		on(m, func(e *domain.ReferralRedirected) string { return e.ReferralID }, applyRedirected),
		on(m, func(e *domain.ReferralInformationRequested) string { return e.ReferralID }, applyInformationRequested),
		on(m, func(e *domain.ReferralInformationReceived) string { return e.ReferralID }, applyInformationReceived),
		on(m, func(e *domain.ReferralAllocated) string { return e.ReferralID }, applyAllocated),
		on(m, func(e *domain.ReferralFirstContactRecorded) string { return e.ReferralID }, applyFirstContact),
		on(m, func(e *domain.ReferralPatientChoiceRecorded) string { return e.ReferralID }, applyPatientChoice),
		on(m, func(e *domain.ReferralWithdrawn) string { return e.ReferralID }, applyWithdrawn),
		on(m, func(e *domain.ReferralCancelled) string { return e.ReferralID }, applyCancelled),
		on(m, func(e *domain.ReferralEnteredInError) string { return e.ReferralID }, applyEnteredInError),
	}
}

// OnReferralReceived adds a referral.
func (m *Model) OnReferralReceived(ctx context.Context, e *domain.ReferralReceived) error {
	d, _ := eventbus.DeliveryFrom(ctx)
	m.mu.Lock()
	if _, seen := m.byID[e.ReferralID]; !seen {
		r := &Referral{
			ID:                    e.ReferralID,
			Status:                domain.StatusReceived,
			Locality:              e.Locality,
			Patient:               e.Patient,
			Referrer:              e.Referrer,
			ReceivedAt:            e.ReceivedAt,
			RecordedAt:            e.RecordedAt,
			Reason:                e.Reason,
			ServiceRequested:      e.ServiceRequested,
			Priority:              e.Priority,
			UCR:                   e.UCR,
			ReceivedAsUCR:         e.UCR,
			Consent:               e.Consent,
			RiskFlags:             e.RiskFlags,
			Notes:                 e.Notes,
			SourceReference:       e.SourceReference,
			PatientChoseLaterTime: e.PatientChoseLaterTime,
			ClockStart:            e.ReceivedAt,
			Revision:              d.Revision,
		}
		r.History = []HistoryEntry{{At: e.ReceivedAt, Type: "ReferralReceived", Summary: "Referral received", By: d.Actor, Status: r.Status}}
		m.byID[r.ID] = r
		index(m.byLocality, r.Locality, r)
		if nhs := r.Patient.NHS(); nhs != "" {
			index(m.byPatient, nhs, r)
		}
		m.notifyLocked()
	}
	m.mu.Unlock()
	m.progress.Advance(d.Position)
	return nil
}

func index(idx map[string]map[string]*Referral, key string, r *Referral) {
	if idx[key] == nil {
		idx[key] = map[string]*Referral{}
	}
	idx[key][r.ID] = r
}

func (m *Model) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// on builds the handler of a change to an existing referral: apply runs
// once per stream revision, under the lock, and returns the history entry.
func on[E any](m *Model, id func(*E) string, apply func(*Referral, *E, eventbus.Delivery) HistoryEntry) cqrs.GroupEventHandler {
	return cqrs.NewGroupEventHandler(func(ctx context.Context, e *E) error {
		d, ok := eventbus.DeliveryFrom(ctx)
		m.mu.Lock()
		r := m.byID[id(e)]
		// An event at or below the revision applied is a redelivery.
		if r != nil && (!ok || d.Revision > r.Revision) {
			h := apply(r, e, d)
			h.By, h.Status = d.Actor, r.Status
			r.History = append(r.History, h)
			r.Revision = d.Revision
			m.notifyLocked()
		}
		m.mu.Unlock()
		m.progress.Advance(d.Position)
		return nil
	})
}

func applyAccepted(r *Referral, e *domain.ReferralAccepted, _ eventbus.Delivery) HistoryEntry {
	r.Status, r.Priority, r.UCR = domain.StatusWaiting, e.Priority, e.UCR
	r.Triage = &Triage{Outcome: domain.TriageAccept, At: e.AcceptedAt, By: e.AcceptedBy, Priority: e.Priority}
	return HistoryEntry{At: e.AcceptedAt, Type: "ReferralAccepted", Summary: "Referral triaged: accepted"}
}

func applyRejected(r *Referral, e *domain.ReferralRejected, _ eventbus.Delivery) HistoryEntry {
	r.Status = domain.StatusRejected
	r.Triage = &Triage{Outcome: domain.TriageReject, At: e.RejectedAt, By: e.RejectedBy, Reason: &e.Reason}
	return HistoryEntry{At: e.RejectedAt, Type: "ReferralRejected", Summary: "Referral triaged: rejected"}
}

func applyRedirected(r *Referral, e *domain.ReferralRedirected, _ eventbus.Delivery) HistoryEntry {
	r.Status = domain.StatusRedirected
	r.Triage = &Triage{Outcome: domain.TriageRedirect, At: e.RedirectedAt, By: e.RedirectedBy, Service: &e.Service, Reason: e.Reason}
	return HistoryEntry{At: e.RedirectedAt, Type: "ReferralRedirected", Summary: "Referral triaged: redirected to another service"}
}

func applyInformationRequested(r *Referral, e *domain.ReferralInformationRequested, _ eventbus.Delivery) HistoryEntry {
	r.Status = domain.StatusInformationRequested
	r.Triage = &Triage{Outcome: domain.TriageRequestInformation, At: e.RequestedAt, By: e.RequestedBy, Information: &e.Information, RequestedFrom: e.RequestedFrom}
	return HistoryEntry{At: e.RequestedAt, Type: "ReferralInformationRequested", Summary: "Referral triaged: information requested"}
}

func applyInformationReceived(r *Referral, e *domain.ReferralInformationReceived, _ eventbus.Delivery) HistoryEntry {
	r.Status = domain.StatusReceived
	at := e.ReceivedAt
	r.InformationReceivedAt = &at
	// The service can act on the referral only now: the UCR clock starts
	// again from here.
	r.ClockStart = e.ReceivedAt
	return HistoryEntry{At: e.ReceivedAt, Type: "ReferralInformationReceived", Summary: "Requested information received"}
}

func applyAllocated(r *Referral, e *domain.ReferralAllocated, _ eventbus.Delivery) HistoryEntry {
	summary := "Referral allocated"
	if r.Allocation != nil {
		summary = "Referral reallocated"
	}
	r.Status = domain.StatusAllocated
	r.Allocation = &Allocation{Team: e.Team, ClinicianID: e.ClinicianID, ClinicianName: e.ClinicianName, At: e.AllocatedAt, By: e.AllocatedBy}
	return HistoryEntry{At: e.AllocatedAt, Type: "ReferralAllocated", Summary: summary}
}

func applyFirstContact(r *Referral, e *domain.ReferralFirstContactRecorded, _ eventbus.Delivery) HistoryEntry {
	r.Status = domain.StatusFirstContact
	at := e.ContactAt
	r.FirstContactAt = &at
	return HistoryEntry{At: e.ContactAt, Type: "ReferralFirstContactRecorded", Summary: "First face-to-face contact"}
}

func applyPatientChoice(r *Referral, e *domain.ReferralPatientChoiceRecorded, _ eventbus.Delivery) HistoryEntry {
	r.PatientChoseLaterTime = true
	r.PatientPreferredAt = e.PreferredAt
	return HistoryEntry{At: e.RecordedAt, Type: "ReferralPatientChoiceRecorded", Summary: "Patient chose a later time"}
}

func applyWithdrawn(r *Referral, e *domain.ReferralWithdrawn, _ eventbus.Delivery) HistoryEntry {
	r.Status = domain.StatusWithdrawn
	r.Closure = &Closure{Kind: domain.ClosureWithdrawn, Reason: e.Reason, At: e.WithdrawnAt, By: e.WithdrawnBy}
	return HistoryEntry{At: e.WithdrawnAt, Type: "ReferralWithdrawn", Summary: "Referral withdrawn"}
}

func applyCancelled(r *Referral, e *domain.ReferralCancelled, _ eventbus.Delivery) HistoryEntry {
	r.Status = domain.StatusCancelled
	r.Closure = &Closure{Kind: domain.ClosureCancelled, Reason: e.Reason, At: e.CancelledAt, By: e.CancelledBy}
	return HistoryEntry{At: e.CancelledAt, Type: "ReferralCancelled", Summary: "Referral cancelled"}
}

func applyEnteredInError(r *Referral, e *domain.ReferralEnteredInError, _ eventbus.Delivery) HistoryEntry {
	r.Status = domain.StatusEnteredInError
	r.Closure = &Closure{Kind: domain.ClosureEnteredInError, Reason: e.Reason, At: e.MarkedAt, By: e.MarkedBy}
	return HistoryEntry{At: e.MarkedAt, Type: "ReferralEnteredInError", Summary: "Referral marked entered in error"}
}

// Timeline is one entry of the patient's timeline.
type Timeline struct {
	At         time.Time
	Type       string
	Summary    string
	ReferralID string
}

// PatientTimeline returns the history of a patient's referrals (those the
// filter keeps) as one list in time order.
func (m *Model) PatientTimeline(nhsNumber string, keep func(Referral) bool) []Timeline {
	var out []Timeline
	for _, r := range m.Patient(nhsNumber) {
		if !keep(r) {
			continue
		}
		for _, h := range r.History {
			out = append(out, Timeline{At: h.At, Type: h.Type, Summary: h.Summary, ReferralID: r.ID})
		}
	}
	slices.SortStableFunc(out, func(a, b Timeline) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ReferralID, b.ReferralID))
	})
	return out
}
