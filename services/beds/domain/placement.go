package domain

import (
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"

	"carecoord/services/beds/hospitals"
)

// Phase is where an open stay is.
type Phase string

const (
	// PhaseClaimed: the stay has claimed a bed that is not yet reserved for
	// it (an allocation in progress).
	PhaseClaimed Phase = "CLAIMED"
	// PhaseReserved: the bed is reserved; the patient has not arrived.
	PhaseReserved Phase = "RESERVED"
	// PhaseAdmitted: the patient is in the bed.
	PhaseAdmitted Phase = "ADMITTED"
)

// Stay is a patient's open bed stay.
type Stay struct {
	ID          string
	RequestID   string
	Patient     Patient
	Locality    string
	Bed         hospitals.Location
	BedRevision int64
	Phase       Phase
	AllocatedAt time.Time
	// ClaimedAt is when the allocation command ran (wall clock).
	ClaimedAt  time.Time
	AdmittedAt time.Time
	// MovedAt is the admission or the last transfer.
	MovedAt time.Time
	// Moves counts the transfers: with the bed, it names one occupation of
	// a bed (a patient can return to a bed they left).
	Moves int
	// Transfer is a move in progress (the new bed claimed, not yet taken).
	Transfer *PendingTransfer
	// NCTR is set once the patient has no criteria to reside.
	NCTR *NCTR
}

// PendingTransfer is a transfer whose new bed is claimed.
type PendingTransfer struct {
	To          hospitals.Location
	Reason      TransferReason
	BedRevision int64
	StartedAt   time.Time
	// ClaimedAt is when the transfer command ran (wall clock).
	ClaimedAt time.Time
}

// NCTR is a delayed discharge.
type NCTR struct {
	Since  time.Time
	Reason DelayReason
}

// Placement is one patient's bed stays: at most one open at a time. It is
// the one place that decides "a patient holds at most one bed": a stay or a
// transfer claims its bed here before the bed itself is touched.
type Placement struct {
	key    string
	open   *Stay
	closed map[string]string // stay ID → how it ended: "discharged" or the failure slug
}

// NewPlacement is a patient with no stays, for the repository.
func NewPlacement(key string) *Placement { return &Placement{key: key, closed: map[string]string{}} }

// Open returns the open stay, if any (a copy).
func (p *Placement) Open() (Stay, bool) {
	if p.open == nil {
		return Stay{}, false
	}
	s := *p.open
	return s, true
}

// Ended says how a closed stay ended ("discharged" or a failure slug), or "".
func (p *Placement) Ended(stayID string) string { return p.closed[stayID] }

// Slugs of the placement's refusals that the app acts on.
const (
	SlugAllocationInProgress = "allocation-in-progress"
	SlugTransferInProgress   = "transfer-in-progress"
	SlugPatientAlreadyPlaced = "patient-already-placed"
	// StayEndedDischarged is how Ended names a discharged stay.
	StayEndedDischarged = "discharged"
)

func (s *Stay) phrase() string {
	switch s.Phase {
	case PhaseClaimed:
		return "being allocated a bed"
	case PhaseReserved:
		return "reserved a bed"
	}
	return "in a bed"
}

// stay finds the open stay stayID or says why it cannot act on it.
func (p *Placement) stay(what, stayID string) (*Stay, error) {
	if p.open != nil && p.open.ID == stayID {
		return p.open, nil
	}
	switch ended := p.closed[stayID]; ended {
	case "":
		return nil, errs.NotFound("there is no such bed stay", "stay-not-found")
	case StayEndedDischarged:
		return nil, errs.IllegalStep(what, "discharged", "stay-discharged")
	default:
		return nil, errs.IllegalStep(what, "an allocation that did not complete", "stay-never-began")
	}
}

// NewStay is what allocating a bed to a request needs.
type NewStay struct {
	StayID    string
	RequestID string
	Patient   Patient
	Locality  string
	Bed       hospitals.Location
	// BedRevision is the bed's revision when it was seen available.
	BedRevision int64
}

// Allocate claims a bed for a new stay. It refuses while the patient has an
// open stay: one bed per patient. A claim still waiting for its bed is
// reported as SlugAllocationInProgress so that the caller can settle it.
// at is the business time of the allocation, claimedAt the command's.
func (p *Placement) Allocate(in NewStay, at, claimedAt time.Time) ([]aggregate.Event, error) {
	if p.open != nil {
		if p.open.ID == in.StayID {
			return nil, nil
		}
		if p.open.Phase == PhaseClaimed {
			return nil, errs.Conflict("another allocation for this patient is in progress: try again in a moment", SlugAllocationInProgress)
		}
		return nil, errs.Invalid("", "cannot allocate a bed: the patient is already "+p.open.phrase(), SlugPatientAlreadyPlaced)
	}
	if ended := p.closed[in.StayID]; ended != "" {
		return nil, errs.Conflict("this allocation did not complete ("+ended+"): choose a bed again with a new commandId", ended)
	}
	return []aggregate.Event{StayAllocated{
		StayID: in.StayID, RequestID: in.RequestID, Patient: in.Patient, Locality: in.Locality,
		Location: in.Bed, BedRevision: in.BedRevision, AllocatedAt: at.UTC(), ClaimedAt: claimedAt.UTC(),
	}}, nil
}

// ConfirmBed records that the claimed bed is reserved for the stay.
func (p *Placement) ConfirmBed(stayID string) ([]aggregate.Event, error) {
	s, err := p.stay("confirm the bed", stayID)
	if err != nil {
		return nil, err
	}
	if s.Phase != PhaseClaimed {
		return nil, nil
	}
	return []aggregate.Event{StayBedConfirmed{StayID: stayID, BedID: s.Bed.BedID}}, nil
}

// FailAllocation ends a stay before its patient arrived: a claim whose bed
// could not be reserved, or a reservation released because the allocation
// could not complete. It is a compensation, called only once the bed is known
// not to hold the stay: a stay that is not open is left alone.
func (p *Placement) FailAllocation(stayID, reason string) ([]aggregate.Event, error) {
	if p.open == nil || p.open.ID != stayID {
		return nil, nil
	}
	if p.open.Phase == PhaseAdmitted {
		return nil, errs.IllegalStep("abandon the allocation", "admitted", "stay-admitted")
	}
	return []aggregate.Event{StayAllocationFailed{StayID: stayID, BedID: p.open.Bed.BedID, Reason: reason}}, nil
}

// CheckAdmit says whether the stay's patient can be admitted now.
func (p *Placement) CheckAdmit(stayID string) error {
	s, err := p.stay("admit the patient", stayID)
	if err != nil {
		return err
	}
	switch s.Phase {
	case PhaseClaimed:
		return errs.Conflict("the bed allocation is still in progress: try again in a moment", SlugAllocationInProgress)
	case PhaseAdmitted:
		return errs.IllegalStep("admit the patient", "already admitted", "stay-admitted")
	}
	return nil
}

// Admit records the patient's arrival in the reserved bed.
func (p *Placement) Admit(stayID string, at time.Time) ([]aggregate.Event, error) {
	if err := p.CheckAdmit(stayID); err != nil {
		return nil, err
	}
	s := p.open
	return []aggregate.Event{PatientAdmitted{
		StayID: s.ID, BedRequestID: s.RequestID, Patient: s.Patient, Locality: s.Locality,
		HospitalID: s.Bed.HospitalID, WardID: s.Bed.WardID, BedID: s.Bed.BedID, AdmittedAt: at.UTC(),
	}}, nil
}

func (p *Placement) admitted(what, stayID string) (*Stay, error) {
	s, err := p.stay(what, stayID)
	if err != nil {
		return nil, err
	}
	if s.Phase != PhaseAdmitted {
		return nil, errs.IllegalStep(what, "not yet admitted ("+s.phrase()+")", "stay-not-admitted")
	}
	return s, nil
}

// StartTransfer claims another bed for an admitted patient; at is the
// business time of the move, claimedAt the command's.
func (p *Placement) StartTransfer(stayID string, to hospitals.Location, reason TransferReason, bedRevision int64, at, claimedAt time.Time) ([]aggregate.Event, error) {
	s, err := p.admitted("transfer the patient", stayID)
	if err != nil {
		return nil, err
	}
	if s.Transfer != nil {
		return nil, errs.Conflict("another transfer of this patient is in progress: try again in a moment", SlugTransferInProgress)
	}
	if to.BedID == s.Bed.BedID {
		return nil, errs.Invalid("toBedId", "is the bed the patient is already in", "same-bed")
	}
	if err := oneOf("reason", reason, TransferReasons); err != nil {
		return nil, err
	}
	if at.Before(s.MovedAt) {
		return nil, errs.Invalid("transferredAt", "is before the patient arrived in the current bed", "time-before-move")
	}
	return []aggregate.Event{StayTransferStarted{StayID: stayID, To: to, Reason: reason, BedRevision: bedRevision, StartedAt: at.UTC(), ClaimedAt: claimedAt.UTC()}}, nil
}

// A transfer claim is named by its bed and the bed revision it was made
// against: a stay may claim the same bed twice (after a failed attempt), and
// a later claim always sees a later revision, because a claim fails only
// once the bed has moved past it.
func (t *PendingTransfer) is(toBedID string, bedRevision int64) bool {
	return t != nil && t.To.BedID == toBedID && t.BedRevision == bedRevision
}

// FailTransfer ends a transfer claim whose new bed could not be reserved.
// It is a compensation: without that very claim pending it does nothing.
func (p *Placement) FailTransfer(stayID, toBedID string, bedRevision int64, reason string) ([]aggregate.Event, error) {
	if p.open == nil || p.open.ID != stayID || !p.open.Transfer.is(toBedID, bedRevision) {
		return nil, nil
	}
	return []aggregate.Event{StayTransferFailed{StayID: stayID, ToBedID: toBedID, BedRevision: bedRevision, Reason: reason}}, nil
}

// CompleteTransfer records the move of a transfer claim once the patient is
// in its new bed.
func (p *Placement) CompleteTransfer(stayID, toBedID string, bedRevision int64, at time.Time) ([]aggregate.Event, error) {
	s, err := p.admitted("complete the transfer", stayID)
	if err != nil {
		return nil, err
	}
	if !s.Transfer.is(toBedID, bedRevision) {
		if s.Bed.BedID == toBedID {
			return nil, nil // already recorded
		}
		return nil, errs.IllegalStep("complete the transfer", "not being transferred to that bed", "no-transfer")
	}
	if at.Before(s.MovedAt) {
		return nil, errs.Invalid("transferredAt", "is before the patient arrived in the current bed", "time-before-move")
	}
	return []aggregate.Event{PatientTransferred{StayID: stayID, From: s.Bed, To: s.Transfer.To, Reason: s.Transfer.Reason, TransferredAt: at.UTC()}}, nil
}

// RecordNoCriteriaToReside marks an admitted patient as medically optimised
// but still in the bed, with why. Recording it again changes the reason; the
// delay keeps counting from the first since unless a new since is given.
func (p *Placement) RecordNoCriteriaToReside(stayID string, since time.Time, reason DelayReason) ([]aggregate.Event, error) {
	s, err := p.admitted("record no criteria to reside", stayID)
	if err != nil {
		return nil, err
	}
	if err := oneOf("delayReason", reason, DelayReasons); err != nil {
		return nil, err
	}
	if since.IsZero() {
		return nil, errs.Invalid("since", "is required", "required")
	}
	if since.Before(s.AdmittedAt) {
		return nil, errs.Invalid("since", "is before the admission", "since-before-admission")
	}
	if s.NCTR != nil && s.NCTR.Reason == reason && s.NCTR.Since.Equal(since) {
		return nil, nil
	}
	return []aggregate.Event{NoCriteriaToResideRecorded{StayID: stayID, Since: since.UTC(), DelayReason: reason}}, nil
}

// Discharge is what a discharge records.
type Discharge struct {
	Pathway     Pathway
	Destination string
	ICTReferral bool
	Reason      string
	// VacatedBedID is the bed the discharge vacated ("" to check the rest
	// without it, before any bed is touched).
	VacatedBedID string
}

// SlugStayMoved refuses a discharge whose patient moved to another bed after
// the discharge vacated theirs.
const SlugStayMoved = "stay-moved"

// Discharge ends an admitted stay, once its bed is vacated. It cannot happen
// mid-transfer, nor after the patient moved on from the bed it vacated: then
// the bed they are in now is still theirs.
func (p *Placement) Discharge(stayID string, d Discharge, at time.Time) ([]aggregate.Event, error) {
	s, err := p.admitted("discharge the patient", stayID)
	if err != nil {
		return nil, err
	}
	if s.Transfer != nil {
		return nil, errs.Conflict("the patient is being transferred: try again in a moment", SlugTransferInProgress)
	}
	if d.VacatedBedID != "" && d.VacatedBedID != s.Bed.BedID {
		return nil, errs.Conflict("the patient moved to another bed meanwhile: try again", SlugStayMoved)
	}
	if err := oneOf("pathway", d.Pathway, Pathways); err != nil {
		return nil, err
	}
	dest, err := limitText("destination", d.Destination, 200, true)
	if err != nil {
		return nil, err
	}
	reason, err := limitText("followUp.reason", d.Reason, 500, d.ICTReferral)
	if err != nil {
		return nil, err
	}
	if at.Before(s.MovedAt) {
		return nil, errs.Invalid("dischargedAt", "is before the patient arrived in the bed", "time-before-admission")
	}
	fu := FollowUp{ICTReferral: d.ICTReferral}
	if reason != "" {
		fu.Reason = &reason
	}
	return []aggregate.Event{PatientDischarged{
		StayID: stayID, Patient: s.Patient, Locality: s.Locality, Pathway: d.Pathway, Destination: dest,
		FollowUp: fu, DischargedAt: at.UTC(),
	}}, nil
}

// Apply folds an event.
func (p *Placement) Apply(e aggregate.Event) {
	if a, ok := e.(StayAllocated); ok {
		p.open = &Stay{ID: a.StayID, RequestID: a.RequestID, Patient: a.Patient, Locality: a.Locality, Bed: a.Location,
			BedRevision: a.BedRevision, Phase: PhaseClaimed, AllocatedAt: a.AllocatedAt, ClaimedAt: a.ClaimedAt}
		return
	}
	s := p.open
	if s == nil {
		return
	}
	switch e := e.(type) {
	case StayBedConfirmed:
		if e.StayID == s.ID {
			s.Phase = PhaseReserved
		}
	case StayAllocationFailed:
		if e.StayID == s.ID {
			p.closed[s.ID], p.open = e.Reason, nil
		}
	case PatientAdmitted:
		if e.StayID == s.ID {
			s.Phase, s.AdmittedAt, s.MovedAt = PhaseAdmitted, e.AdmittedAt, e.AdmittedAt
		}
	case StayTransferStarted:
		if e.StayID == s.ID {
			s.Transfer = &PendingTransfer{To: e.To, Reason: e.Reason, BedRevision: e.BedRevision, StartedAt: e.StartedAt, ClaimedAt: e.ClaimedAt}
		}
	case StayTransferFailed:
		if e.StayID == s.ID {
			s.Transfer = nil
		}
	case PatientTransferred:
		if e.StayID == s.ID {
			s.Bed, s.Transfer, s.MovedAt = e.To, nil, e.TransferredAt
			s.Moves++
		}
	case NoCriteriaToResideRecorded:
		if e.StayID == s.ID {
			s.NCTR = &NCTR{Since: e.Since, Reason: e.DelayReason}
		}
	case PatientDischarged:
		if e.StayID == s.ID {
			p.closed[s.ID], p.open = StayEndedDischarged, nil
		}
	}
}
