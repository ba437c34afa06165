package readmodel

import (
	"time"

	"carecoord/services/beds/domain"
)

// Bed is one bed on the bed board.
type Bed struct {
	ID         string
	Label      string
	WardID     string
	HospitalID string
	SideRoom   bool
	Status     domain.BedStatus
	// Since is when the bed entered its status (zero: never used).
	Since time.Time
	// StayID is the stay holding the bed (reserved or occupied), or "".
	StayID        string
	ClosureReason domain.ClosureReason
	ClosureNote   string
	// DirtySince is when the bed started needing a clean (vacated, or
	// closed as contaminated); zero when it needs none.
	DirtySince time.Time
}

type bedState struct {
	Bed
}

// Counts are the beds of a ward, hospital or the whole estate by status.
type Counts struct {
	Total         int
	Available     int
	Reserved      int
	Occupied      int
	AwaitingClean int
	Closed        int
	Contaminated  int
	Isolated      int
}

func (c *Counts) add(s domain.BedStatus) {
	c.Total++
	switch s {
	case domain.Available:
		c.Available++
	case domain.Reserved:
		c.Reserved++
	case domain.Occupied:
		c.Occupied++
	case domain.AwaitingClean:
		c.AwaitingClean++
	case domain.Closed:
		c.Closed++
	case domain.Contaminated:
		c.Contaminated++
	case domain.Isolated:
		c.Isolated++
	}
}

func (c *Counts) plus(o Counts) {
	c.Total += o.Total
	c.Available += o.Available
	c.Reserved += o.Reserved
	c.Occupied += o.Occupied
	c.AwaitingClean += o.AwaitingClean
	c.Closed += o.Closed
	c.Contaminated += o.Contaminated
	c.Isolated += o.Isolated
}

// Open is the bed base: beds not taken out of use (closed, contaminated,
// isolated).
func (c Counts) Open() int { return c.Total - c.Closed - c.Contaminated - c.Isolated }

// OccupancyPercent is occupied beds as a share of open beds (as the KH03
// return counts it: reserved beds are not yet occupied).
func (c Counts) OccupancyPercent() float64 {
	if c.Open() == 0 {
		return 0
	}
	return float64(c.Occupied) * 100 / float64(c.Open())
}

// Ward is a ward with its beds.
type Ward struct {
	ID         string
	Name       string
	HospitalID string
	Beds       []Bed
	Counts     Counts
}

// Hospital is a community hospital with its wards.
type Hospital struct {
	ID             string
	Name           string
	Town           string
	SiteCode       string
	Locality       string
	CapacityIsDemo bool
	Wards          []Ward
	Counts         Counts
}

// Hospitals is the bed board: every hospital, ward and bed.
func (m *Model) Hospitals() []Hospital {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Hospital
	for _, h := range m.reg.Hospitals() {
		out = append(out, m.hospital(h.ID))
	}
	return out
}

// Hospital returns one hospital's board.
func (m *Model) Hospital(id string) (Hospital, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.reg.Hospital(id); !ok {
		return Hospital{}, false
	}
	return m.hospital(id), true
}

func (m *Model) hospital(id string) Hospital {
	h, _ := m.reg.Hospital(id)
	out := Hospital{ID: h.ID, Name: h.Name, Town: h.Town, SiteCode: h.SiteCode, Locality: h.Locality, CapacityIsDemo: h.CapacityIsDemo}
	for _, w := range h.Wards {
		ward := Ward{ID: w.ID, Name: w.Name, HospitalID: h.ID, Beds: make([]Bed, 0, len(w.Beds))}
		for _, b := range w.Beds {
			bed := m.beds[b.ID].Bed
			ward.Beds = append(ward.Beds, bed)
			ward.Counts.add(bed.Status)
		}
		out.Counts.plus(ward.Counts)
		out.Wards = append(out.Wards, ward)
	}
	return out
}

// Bed returns one bed.
func (m *Model) Bed(id string) (Bed, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.beds[id]
	if !ok {
		return Bed{}, false
	}
	return b.Bed, true
}

// Occupancy is the estate's counts, overall and per hospital.
type Occupancy struct {
	Overall   Counts
	Hospitals []HospitalCounts
}

// HospitalCounts are one hospital's counts.
type HospitalCounts struct {
	HospitalID string
	Counts     Counts
}

// Occupancy counts beds by status per hospital and overall.
func (m *Model) Occupancy() Occupancy {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out Occupancy
	for _, h := range m.reg.Hospitals() {
		c := m.hospital(h.ID).Counts
		out.Hospitals = append(out.Hospitals, HospitalCounts{HospitalID: h.ID, Counts: c})
		out.Overall.plus(c)
	}
	return out
}

// AwaitingClean lists the beds waiting for housekeeping (awaiting clean or
// contaminated), longest waiting first; hospitalID "" is every hospital.
func (m *Model) AwaitingClean(hospitalID string) []Bed {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Bed
	for _, id := range m.reg.BedIDs() {
		b := m.beds[id].Bed
		if (hospitalID == "" || b.HospitalID == hospitalID) && (b.Status == domain.AwaitingClean || b.Status == domain.Contaminated) {
			out = append(out, b)
		}
	}
	sortStable(out, func(a, b Bed) bool { return a.DirtySince.Before(b.DirtySince) })
	return out
}

// Turnaround summarises recent cleaning turnaround (from the bed needing a
// clean to it being cleaned); hospitalID "" is every hospital.
func (m *Model) Turnaround(hospitalID string) Turnaround {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if hospitalID != "" {
		if s, ok := m.turnaround[hospitalID]; ok {
			return summarise(s.minutes)
		}
		return Turnaround{}
	}
	var all []float64
	for _, s := range m.turnaround {
		all = append(all, s.minutes...)
	}
	return summarise(all)
}

// ---- handlers ----

func (m *Model) bed(id string) *bedState {
	b, ok := m.beds[id]
	if !ok {
		// A bed in the log but not in the reference data (the data was
		// replaced): keep its history rather than lose events.
		b = &bedState{Bed: Bed{ID: id, Label: id, Status: domain.Available}}
		m.beds[id] = b
	}
	return b
}

func (m *Model) onBedReserved(e *domain.BedReserved) {
	b := m.bed(e.BedID)
	b.Status, b.Since, b.StayID = domain.Reserved, e.ReservedAt, e.StayID
}

func (m *Model) onBedReservationReleased(e *domain.BedReservationReleased) {
	b := m.bed(e.BedID)
	b.Status, b.Since, b.StayID = domain.Available, e.ReleasedAt, ""
}

func (m *Model) onBedAllocationAbandoned(*domain.BedAllocationAbandoned) {}

func (m *Model) onBedOccupied(e *domain.BedOccupied) {
	b := m.bed(e.BedID)
	b.Status, b.Since, b.StayID = domain.Occupied, e.OccupiedAt, e.StayID
}

func (m *Model) onBedVacated(e *domain.BedVacated) {
	b := m.bed(e.BedID)
	b.Status, b.Since, b.StayID, b.DirtySince = domain.AwaitingClean, e.VacatedAt, "", e.VacatedAt
}

func (m *Model) onBedCleaned(e *domain.BedCleaned) {
	b := m.bed(e.BedID)
	if !b.DirtySince.IsZero() {
		if s, ok := m.turnaround[b.HospitalID]; ok {
			s.add(minutes(e.CleanedAt.Sub(b.DirtySince)))
		}
	}
	b.Status, b.Since, b.DirtySince, b.ClosureReason, b.ClosureNote = domain.Available, e.CleanedAt, time.Time{}, "", ""
}

func (m *Model) onBedClosed(e *domain.BedClosed) {
	b := m.bed(e.BedID)
	b.Status, b.Since, b.ClosureReason, b.ClosureNote = e.Status, e.ClosedAt, e.Reason, e.Note
	if e.Status == domain.Contaminated && b.DirtySince.IsZero() {
		b.DirtySince = e.ClosedAt
	}
}

func (m *Model) onBedReopened(e *domain.BedReopened) {
	b := m.bed(e.BedID)
	b.Status, b.Since, b.ClosureReason, b.ClosureNote = e.Status, e.ReopenedAt, "", ""
}
