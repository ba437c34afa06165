package readmodel

import (
	"math"
	"time"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/hospitals"
)

// StayStatus is where a bed stay is, as clients see it.
type StayStatus string

const (
	// StayAllocating: a bed is being reserved (an allocation in progress).
	StayAllocating StayStatus = "ALLOCATING"
	StayReserved   StayStatus = "RESERVED"
	StayAdmitted   StayStatus = "ADMITTED"
	StayDischarged StayStatus = "DISCHARGED"
	// StayCancelled: the allocation did not complete; the stay never began.
	StayCancelled StayStatus = "CANCELLED"
)

// StayStatuses lists the statuses.
var StayStatuses = []StayStatus{StayAllocating, StayReserved, StayAdmitted, StayDischarged, StayCancelled}

// Stay is a patient's stay in a community bed.
type Stay struct {
	ID        string
	RequestID string
	Patient   domain.Patient
	Locality  string
	Status    StayStatus
	// Bed is where the patient is, or is expected.
	Bed hospitals.Location
	// TransferringTo is a bed being reserved for a move, if any.
	TransferringTo *hospitals.Location
	AllocatedAt    time.Time
	AdmittedAt     time.Time
	Transfers      []Transfer
	NCTR           *NCTR
	DischargedAt   time.Time
	Pathway        domain.Pathway
	Destination    string
	FollowUp       *domain.FollowUp
	CancelReason   string
}

// Transfer is one move of a stay.
type Transfer struct {
	From, To      hospitals.Location
	Reason        domain.TransferReason
	TransferredAt time.Time
}

// NCTR is a delayed discharge.
type NCTR struct {
	Since       time.Time
	DelayReason domain.DelayReason
}

// DaysDelayed is how many whole days the patient has waited since they no
// longer met the criteria to reside, at now (or at discharge when done).
func (s Stay) DaysDelayed(now time.Time) int {
	if s.NCTR == nil {
		return 0
	}
	end := now
	if !s.DischargedAt.IsZero() {
		end = s.DischargedAt
	}
	return int(math.Max(0, math.Floor(end.Sub(s.NCTR.Since).Hours()/24)))
}

// Current reports whether the stay holds a bed (reserved or admitted).
func (s Stay) Current() bool { return s.Status == StayReserved || s.Status == StayAdmitted }

func (s Stay) clone() Stay {
	c := s
	c.Transfers = append([]Transfer(nil), s.Transfers...)
	if s.NCTR != nil {
		n := *s.NCTR
		c.NCTR = &n
	}
	if s.TransferringTo != nil {
		t := *s.TransferringTo
		c.TransferringTo = &t
	}
	if s.FollowUp != nil {
		f := *s.FollowUp
		c.FollowUp = &f
	}
	return c
}

// Stay returns one stay.
func (m *Model) Stay(id string) (Stay, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s, ok := m.stays[id]
	if !ok {
		return Stay{}, false
	}
	return s.clone(), true
}

// StaysOf lists a patient's stays (by NHS number), oldest first, without
// allocations that never began.
func (m *Model) StaysOf(nhsNumber string) []Stay {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Stay
	for _, id := range m.byPatient[nhsNumber] {
		if s := m.stays[id]; s.Status != StayCancelled {
			out = append(out, s.clone())
		}
	}
	return out
}

// Stays lists the stays that keep returns true, in allocation order.
func (m *Model) Stays(keep func(Stay) bool) []Stay {
	m.mu.RLock()
	var out []Stay
	for _, s := range m.stays {
		if keep(*s) {
			out = append(out, s.clone())
		}
	}
	m.mu.RUnlock()
	sortStable(out, func(a, b Stay) bool {
		if !a.AllocatedAt.Equal(b.AllocatedAt) {
			return a.AllocatedAt.Before(b.AllocatedAt)
		}
		return a.ID < b.ID
	})
	return out
}

// LocalitySummary counts a locality's patients in community beds.
type LocalitySummary struct {
	LocalityID string
	// BedsOccupied is the locality's patients in a community bed.
	BedsOccupied int
	// BedsReserved is beds reserved for the locality's patients.
	BedsReserved int
	// BedRequestsPending is the locality's requests waiting for a bed.
	BedRequestsPending int
	// NoCriteriaToReside is the locality's patients in a bed who no longer
	// need it (delayed discharges).
	NoCriteriaToReside int
}

// Summary counts one locality.
func (m *Model) Summary(localityID string) LocalitySummary {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := LocalitySummary{LocalityID: localityID}
	for _, s := range m.stays {
		if s.Locality != localityID {
			continue
		}
		switch s.Status {
		case StayAdmitted:
			out.BedsOccupied++
			if s.NCTR != nil {
				out.NoCriteriaToReside++
			}
		case StayReserved:
			out.BedsReserved++
		}
	}
	for _, r := range m.requests {
		if r.Locality == localityID && r.Open() {
			out.BedRequestsPending++
		}
	}
	return out
}

// ---- handlers ----

func (m *Model) onStayAllocated(e *domain.StayAllocated) {
	s := &Stay{ID: e.StayID, RequestID: e.RequestID, Patient: e.Patient, Locality: e.Locality, Status: StayAllocating, Bed: e.Location, AllocatedAt: e.AllocatedAt}
	m.stays[e.StayID] = s
	nhs := e.Patient.NHSNumber.String()
	m.byPatient[nhs] = append(m.byPatient[nhs], e.StayID)
}

func (m *Model) onStayBedConfirmed(e *domain.StayBedConfirmed) {
	if s, ok := m.stays[e.StayID]; ok && s.Status == StayAllocating {
		s.Status = StayReserved
		m.addTimeline(s.Patient.NHSNumber.String(), TimelineEntry{At: s.AllocatedAt, Type: "BedAllocated", RefID: s.ID, Summary: "Bed allocated at " + m.hospitalName(s.Bed.HospitalID)})
	}
}

func (m *Model) onStayAllocationFailed(e *domain.StayAllocationFailed) {
	if s, ok := m.stays[e.StayID]; ok {
		if s.Status == StayReserved {
			m.addTimeline(s.Patient.NHSNumber.String(), TimelineEntry{At: s.AllocatedAt, Type: "BedAllocationCancelled", RefID: s.ID, Summary: "Bed allocation cancelled"})
		}
		s.Status, s.CancelReason = StayCancelled, e.Reason
	}
}

func (m *Model) onPatientAdmitted(e *domain.PatientAdmitted) {
	s, ok := m.stays[e.StayID]
	if !ok {
		return
	}
	s.Status, s.AdmittedAt = StayAdmitted, e.AdmittedAt
	s.Bed = hospitals.Location{HospitalID: e.HospitalID, WardID: e.WardID, BedID: e.BedID}
	if r, ok := m.requests[e.BedRequestID]; ok {
		r.Status = domain.RequestAdmitted
	}
	m.addTimeline(e.Patient.NHSNumber.String(), TimelineEntry{At: e.AdmittedAt, Type: "PatientAdmitted", RefID: s.ID, Summary: "Admitted to " + m.placeName(s.Bed)})
}

func (m *Model) onStayTransferStarted(e *domain.StayTransferStarted) {
	if s, ok := m.stays[e.StayID]; ok {
		to := e.To
		s.TransferringTo = &to
	}
}

func (m *Model) onStayTransferFailed(e *domain.StayTransferFailed) {
	if s, ok := m.stays[e.StayID]; ok {
		s.TransferringTo = nil
	}
}

func (m *Model) onPatientTransferred(e *domain.PatientTransferred) {
	s, ok := m.stays[e.StayID]
	if !ok {
		return
	}
	s.Bed, s.TransferringTo = e.To, nil
	s.Transfers = append(s.Transfers, Transfer{From: e.From, To: e.To, Reason: e.Reason, TransferredAt: e.TransferredAt})
	summary := "Moved to another bed on the ward"
	switch {
	case e.From.HospitalID != e.To.HospitalID:
		summary = "Transferred to " + m.hospitalName(e.To.HospitalID)
	case e.From.WardID != e.To.WardID:
		summary = "Moved to " + m.placeName(e.To)
	}
	m.addTimeline(s.Patient.NHSNumber.String(), TimelineEntry{At: e.TransferredAt, Type: "PatientTransferred", RefID: s.ID, Summary: summary})
}

func (m *Model) onNoCriteriaToResideRecorded(e *domain.NoCriteriaToResideRecorded) {
	s, ok := m.stays[e.StayID]
	if !ok {
		return
	}
	s.NCTR = &NCTR{Since: e.Since, DelayReason: e.DelayReason}
	m.addTimeline(s.Patient.NHSNumber.String(), TimelineEntry{At: e.Since, Type: "NoCriteriaToResideRecorded", RefID: s.ID, Summary: "No criteria to reside: " + e.DelayReason.Phrase()})
}

func (m *Model) onPatientDischarged(e *domain.PatientDischarged) {
	s, ok := m.stays[e.StayID]
	if !ok {
		return
	}
	fu := e.FollowUp
	s.Status, s.DischargedAt, s.Pathway, s.Destination, s.FollowUp, s.TransferringTo = StayDischarged, e.DischargedAt, e.Pathway, e.Destination, &fu, nil
	summary := "Discharged on pathway " + string(e.Pathway)
	if e.FollowUp.ICTReferral {
		summary += " with a referral to the ICT"
	}
	m.addTimeline(e.Patient.NHSNumber.String(), TimelineEntry{At: e.DischargedAt, Type: "PatientDischarged", RefID: s.ID, Summary: summary})
}

func (m *Model) hospitalName(id string) string {
	if h, ok := m.reg.Hospital(id); ok {
		return h.Name
	}
	return "a community hospital"
}

func (m *Model) placeName(l hospitals.Location) string {
	name := m.hospitalName(l.HospitalID)
	if w, ok := m.reg.Ward(l.WardID); ok {
		name += ", " + w.Name
	}
	return name
}
