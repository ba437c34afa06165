package readmodel

import (
	"slices"
	"sort"
	"time"

	"carecoord/services/beds/domain"
)

// Request is a bed request as the bed manager sees it.
type Request struct {
	ID                  string
	Type                domain.RequestType
	Source              domain.RequestSource
	Priority            domain.Priority
	Status              domain.RequestStatus
	ClinicalNeed        string
	Patient             domain.Patient
	Locality            string
	PreferredHospitalID string
	SourceRef           string
	RaisedAt            time.Time
	RaisedBy            string
	DecidedAt           time.Time
	DecidedBy           string
	DeclineReason       string
	StayID              string
	BedID               string
	AllocatedAt         time.Time
}

// Open reports whether the request is still waiting for a bed.
func (r Request) Open() bool {
	return r.Status == domain.RequestPending || r.Status == domain.RequestAccepted
}

// Request returns one request.
func (m *Model) Request(id string) (Request, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.requests[id]
	if !ok {
		return Request{}, false
	}
	return *r, true
}

// Requests lists requests in any of the statuses (all when none), most
// urgent first and, within a priority, oldest first: the order a bed
// manager works the list in.
func (m *Model) Requests(statuses []domain.RequestStatus, keep func(Request) bool) []Request {
	m.mu.RLock()
	var out []Request
	for _, r := range m.requests {
		if (len(statuses) == 0 || slices.Contains(statuses, r.Status)) && (keep == nil || keep(*r)) {
			out = append(out, *r)
		}
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Priority.Rank() != b.Priority.Rank() {
			return a.Priority.Rank() < b.Priority.Rank()
		}
		if !a.RaisedAt.Equal(b.RaisedAt) {
			return a.RaisedAt.Before(b.RaisedAt)
		}
		return a.ID < b.ID
	})
	return out
}

// ---- handlers ----

func (m *Model) onBedRequestRaised(e *domain.BedRequestRaised) {
	m.requests[e.RequestID] = &Request{
		ID: e.RequestID, Type: e.Type, Source: e.Source, Priority: e.Priority, Status: domain.RequestPending,
		ClinicalNeed: e.ClinicalNeed, Patient: e.Patient, Locality: e.Locality, PreferredHospitalID: e.PreferredHospitalID,
		SourceRef: e.SourceRef, RaisedAt: e.RaisedAt, RaisedBy: e.RaisedBy,
	}
	m.addTimeline(e.Patient.NHSNumber.String(), TimelineEntry{
		At: e.RaisedAt, Type: "BedRequestRaised", RefID: e.RequestID,
		Summary: "Bed request raised: " + typePhrase(e.Type) + " from " + sourcePhrase(e.Source),
	})
}

func (m *Model) onBedRequestAccepted(e *domain.BedRequestAccepted) {
	if r, ok := m.requests[e.RequestID]; ok {
		r.Status, r.DecidedAt, r.DecidedBy = domain.RequestAccepted, e.AcceptedAt, e.AcceptedBy
		m.addTimeline(r.Patient.NHSNumber.String(), TimelineEntry{At: e.AcceptedAt, Type: "BedRequestAccepted", RefID: r.ID, Summary: "Bed request accepted"})
	}
}

func (m *Model) onBedRequestDeclined(e *domain.BedRequestDeclined) {
	if r, ok := m.requests[e.RequestID]; ok {
		r.Status, r.DecidedAt, r.DecidedBy, r.DeclineReason = domain.RequestDeclined, e.DeclinedAt, e.DeclinedBy, e.Reason
		m.addTimeline(r.Patient.NHSNumber.String(), TimelineEntry{At: e.DeclinedAt, Type: "BedRequestDeclined", RefID: r.ID, Summary: "Bed request declined"})
	}
}

func (m *Model) onBedAllocated(e *domain.BedAllocated) {
	if r, ok := m.requests[e.RequestID]; ok {
		if r.Status != domain.RequestAdmitted {
			r.Status = domain.RequestAllocated
		}
		r.StayID, r.BedID, r.AllocatedAt = e.StayID, e.BedID, e.AllocatedAt
	}
}

func (m *Model) onBedAllocationCancelled(e *domain.BedAllocationCancelled) {
	if r, ok := m.requests[e.RequestID]; ok {
		r.Status, r.StayID, r.BedID, r.AllocatedAt = domain.RequestAccepted, "", "", time.Time{}
	}
}

func typePhrase(t domain.RequestType) string {
	if t == domain.StepDown {
		return "step-down"
	}
	return "step-up"
}

func sourcePhrase(s domain.RequestSource) string {
	switch s {
	case domain.SourceFalls:
		return "falls response"
	case domain.SourceUCR:
		return "urgent community response"
	case domain.SourceICT:
		return "integrated care team"
	}
	return "acute hospital"
}

func sortStable[T any](s []T, less func(a, b T) bool) {
	sort.SliceStable(s, func(i, j int) bool { return less(s[i], s[j]) })
}
