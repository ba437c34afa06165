package domain

import (
	"slices"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
	"carecoord/pkg/nhsnumber"
)

// Bed is one bed's state. A bed is the unit that takes a reservation: its
// stream is the one place that decides who holds it, so "at most one patient
// or reservation per bed" is this aggregate's state machine plus the store's
// expected-revision check.
type Bed struct {
	id     string
	status BedStatus
	// holder is the stay that has the bed reserved or occupied.
	holder    string
	holderNHS nhsnumber.Number
	// left are the stays that last left the bed, most recent last, so that
	// a repeated vacate is recognised even after the bed has moved on.
	left []string
	// needsClean survives a closure: a bed closed while awaiting clean
	// reopens awaiting clean.
	needsClean bool
	since      time.Time
	version    int64
}

// keepLeft is how many departed stays a bed remembers: enough for a
// discharge interrupted between its two appends to be finished later, even
// if the bed has been reused meanwhile.
const keepLeft = 16

// NewBed is a bed with no history: available.
func NewBed(id string) *Bed { return &Bed{id: id, status: Available, version: -1} }

// Status is the bed's state.
func (b *Bed) Status() BedStatus { return b.status }

// Holder is the stay holding the bed ("" when none).
func (b *Bed) Holder() string { return b.holder }

// Holds reports whether the stay has the bed reserved or occupied.
func (b *Bed) Holds(stayID string) bool { return stayID != "" && b.holder == stayID }

// Version is the bed stream's revision (-1 before the first event): the
// fence an allocation claims the bed against.
func (b *Bed) Version() int64 { return b.version }

// Since is when the bed entered its state.
func (b *Bed) Since() time.Time { return b.since }

// Reservation is who a bed is reserved for.
type Reservation struct {
	StayID      string
	RequestID   string
	NHSNumber   nhsnumber.Number
	Locality    string
	ForTransfer bool
}

// CheckReservable reports whether the bed can be reserved now.
func (b *Bed) CheckReservable() error {
	if b.status != Available {
		return errs.IllegalStep("allocate the bed", b.status.Phrase(), "bed-not-available")
	}
	return nil
}

// Reserve holds the bed for a stay. fence is the bed's revision when the
// stay claimed it: if the bed has moved on since, the claim is stale and the
// reservation is refused even if the bed is free again, so that a claim can
// be declared dead by looking at the bed alone (see AbandonAllocation).
func (b *Bed) Reserve(r Reservation, fence int64, at time.Time) ([]aggregate.Event, error) {
	if b.Holds(r.StayID) {
		return nil, nil
	}
	if err := b.CheckReservable(); err != nil {
		return nil, err
	}
	if b.version != fence {
		return nil, errs.Conflict("the bed changed while it was being allocated: reload the bed board and try again", "bed-changed")
	}
	return []aggregate.Event{BedReserved{
		BedID: b.id, StayID: r.StayID, RequestID: r.RequestID, NHSNumber: r.NHSNumber, Locality: r.Locality,
		ForTransfer: r.ForTransfer, ReservedAt: at.UTC(),
	}}, nil
}

// SlugAllocationLanded is the reason of AbandonAllocation's refusal when the
// allocation it would abandon has in fact reserved the bed.
const SlugAllocationLanded = "allocation-landed"

// AbandonAllocation fences off a stay's claim on the bed that has not
// reserved it: it moves the bed's revision past the claim's fence, so the
// claim's reservation can never land afterwards. If the reservation did land,
// it refuses with SlugAllocationLanded; if the bed has already moved past
// the fence, the claim is dead already and nothing is written.
func (b *Bed) AbandonAllocation(stayID string, fence int64, at time.Time) ([]aggregate.Event, error) {
	if b.Holds(stayID) {
		return nil, errs.Conflict("the allocation reached the bed", SlugAllocationLanded)
	}
	if b.version != fence {
		return nil, nil
	}
	return []aggregate.Event{BedAllocationAbandoned{BedID: b.id, StayID: stayID, AbandonedAt: at.UTC()}}, nil
}

// ReleaseReservation gives up a stay's reservation before the patient
// arrived. It is a compensation: when the bed is not reserved for the stay
// there is nothing to release; but once the stay's patient is in the bed, it
// is refused, so that an allocation is never undone under a patient who
// arrived meanwhile.
func (b *Bed) ReleaseReservation(stayID, reason string, at time.Time) ([]aggregate.Event, error) {
	if b.status == Occupied && b.holder == stayID {
		return nil, errs.IllegalStep("release the bed", "occupied by the patient, who has arrived", "patient-arrived")
	}
	if b.status != Reserved || b.holder != stayID {
		return nil, nil
	}
	return []aggregate.Event{BedReservationReleased{BedID: b.id, StayID: stayID, Reason: reason, ReleasedAt: at.UTC()}}, nil
}

// Occupy puts the reserving stay's patient in the bed (admission or
// transfer in).
func (b *Bed) Occupy(stayID, reason string, at time.Time) ([]aggregate.Event, error) {
	if b.status == Occupied && b.holder == stayID {
		return nil, nil
	}
	if b.status != Reserved || b.holder != stayID {
		state := b.status.Phrase()
		if b.status == Reserved {
			state = "reserved for another patient"
		}
		return nil, errs.IllegalStep("put the patient in the bed", state, "bed-not-reserved-for-stay")
	}
	// An admission may be recorded after the fact, so its time may precede
	// the reservation's: it is not checked against it.
	return []aggregate.Event{BedOccupied{BedID: b.id, StayID: stayID, NHSNumber: b.holderNHS, Reason: reason, OccupiedAt: at.UTC()}}, nil
}

// Vacate records the stay's patient leaving the bed; the bed then awaits
// cleaning. Repeating it for the stay that last left changes nothing.
func (b *Bed) Vacate(stayID, reason string, at time.Time) ([]aggregate.Event, error) {
	if b.holder != stayID && slices.Contains(b.left, stayID) {
		return nil, nil
	}
	if b.status != Occupied || b.holder != stayID {
		return nil, errs.IllegalStep("vacate the bed", b.status.Phrase(), "bed-not-occupied-by-stay")
	}
	if at.Before(b.since) {
		at = b.since // a vacate never precedes the occupation it ends
	}
	return []aggregate.Event{BedVacated{BedID: b.id, StayID: stayID, Reason: reason, VacatedAt: at.UTC()}}, nil
}

// MarkClean returns a bed that was awaiting clean or contaminated to use.
func (b *Bed) MarkClean(by string, at time.Time) ([]aggregate.Event, error) {
	if b.status != AwaitingClean && b.status != Contaminated {
		return nil, errs.IllegalStep("mark the bed clean", b.status.Phrase(), "bed-not-awaiting-clean")
	}
	if at.Before(b.since) {
		return nil, errs.Invalid("cleanedAt", "is before the bed needed cleaning", "time-before-vacated")
	}
	return []aggregate.Event{BedCleaned{BedID: b.id, CleanedAt: at.UTC(), CleanedBy: by}}, nil
}

// Close takes an empty bed out of use: closed (staffing, estates),
// contaminated (needs a deep clean before reuse) or isolated (held empty for
// infection control). An occupied or reserved bed cannot be closed: move
// the patient, or release the reservation, first.
func (b *Bed) Close(status BedStatus, reason ClosureReason, note, by string, at time.Time) ([]aggregate.Event, error) {
	if err := oneOf("status", status, []BedStatus{Closed, Contaminated, Isolated}); err != nil {
		return nil, err
	}
	if err := oneOf("reason", reason, ClosureReasons); err != nil {
		return nil, err
	}
	note, err := limitText("note", note, 200, false)
	if err != nil {
		return nil, err
	}
	switch {
	case b.status == Reserved || b.status == Occupied:
		return nil, errs.IllegalStep("close the bed", b.status.Phrase(), "bed-in-use")
	case b.status == status:
		return nil, errs.IllegalStep("close the bed", "already "+b.status.Phrase(), "bed-already-closed")
	}
	return []aggregate.Event{BedClosed{BedID: b.id, Status: status, Reason: reason, Note: note, ClosedAt: at.UTC(), ClosedBy: by}}, nil
}

// Reopen returns a closed or isolated bed to use: available, or awaiting
// clean if it needed a clean when it was closed. A contaminated bed reopens
// by being cleaned.
func (b *Bed) Reopen(by string, at time.Time) ([]aggregate.Event, error) {
	switch b.status {
	case Closed, Isolated:
	case Contaminated:
		return nil, errs.IllegalStep("reopen the bed", "contaminated: mark it clean instead", "bed-contaminated")
	default:
		return nil, errs.IllegalStep("reopen the bed", b.status.Phrase(), "bed-not-closed")
	}
	to := Available
	if b.needsClean {
		to = AwaitingClean
	}
	return []aggregate.Event{BedReopened{BedID: b.id, Status: to, ReopenedAt: at.UTC(), ReopenedBy: by}}, nil
}

// Apply folds an event.
func (b *Bed) Apply(e aggregate.Event) {
	b.version++
	switch e := e.(type) {
	case BedReserved:
		b.status, b.holder, b.holderNHS, b.since = Reserved, e.StayID, e.NHSNumber, e.ReservedAt
	case BedReservationReleased:
		b.status, b.holder, b.holderNHS, b.since = Available, "", nhsnumber.Number{}, e.ReleasedAt
	case BedOccupied:
		b.status, b.since = Occupied, e.OccupiedAt
	case BedVacated:
		b.status, b.holder, b.holderNHS, b.needsClean, b.since = AwaitingClean, "", nhsnumber.Number{}, true, e.VacatedAt
		if b.left = append(b.left, e.StayID); len(b.left) > keepLeft {
			b.left = b.left[1:]
		}
	case BedCleaned:
		b.status, b.needsClean, b.since = Available, false, e.CleanedAt
	case BedClosed:
		b.status, b.since = e.Status, e.ClosedAt
		if e.Status == Contaminated {
			b.needsClean = true
		}
	case BedReopened:
		b.status, b.since = e.Status, e.ReopenedAt
	}
}
