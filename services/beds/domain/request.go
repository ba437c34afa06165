package domain

import (
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"

	"carecoord/services/beds/hospitals"
)

// RequestStatus is where a bed request is. Admitted is not one of the
// request's own states: the read model derives it from the stay.
type RequestStatus string

const (
	RequestPending   RequestStatus = "PENDING"
	RequestAccepted  RequestStatus = "ACCEPTED"
	RequestDeclined  RequestStatus = "DECLINED"
	RequestAllocated RequestStatus = "ALLOCATED"
	// RequestAdmitted is the read model's: the allocated stay's patient
	// arrived.
	RequestAdmitted RequestStatus = "ADMITTED"
)

// RequestStatuses lists the statuses a client can filter by.
var RequestStatuses = []RequestStatus{RequestPending, RequestAccepted, RequestDeclined, RequestAllocated, RequestAdmitted}

func (s RequestStatus) phrase() string {
	switch s {
	case RequestPending:
		return "pending"
	case RequestAccepted:
		return "accepted"
	case RequestDeclined:
		return "declined"
	case RequestAllocated:
		return "allocated"
	}
	return "not raised"
}

// BedRequest is one request for a community bed.
type BedRequest struct {
	id       string
	raised   bool
	status   RequestStatus
	typ      RequestType
	source   RequestSource
	patient  Patient
	locality string
	raisedAt time.Time
	stayID   string
}

// NewBedRequest is an empty request, for the repository.
func NewBedRequest(id string) *BedRequest { return &BedRequest{id: id} }

// Raised reports whether the request exists.
func (r *BedRequest) Raised() bool { return r.raised }

// Status is the request's state.
func (r *BedRequest) Status() RequestStatus { return r.status }

// Patient is who the bed is for.
func (r *BedRequest) Patient() Patient { return r.patient }

// Locality is the patient's locality.
func (r *BedRequest) Locality() string { return r.locality }

// StayID is the stay the request was allocated to ("" before).
func (r *BedRequest) StayID() string { return r.stayID }

// RaisedAt is when the request was made.
func (r *BedRequest) RaisedAt() time.Time { return r.raisedAt }

// NewRequest is what raising a request needs, validated by Raise.
type NewRequest struct {
	Type                RequestType
	Source              RequestSource
	Priority            Priority
	ClinicalNeed        string
	Patient             Patient
	Locality            string
	PreferredHospitalID string
	SourceRef           string
	RaisedBy            string
}

// Raise validates a new request. A step-up comes from the community (falls
// response, UCR, an ICT); a step-down from an acute hospital.
func (r *BedRequest) Raise(in NewRequest, at time.Time) ([]aggregate.Event, error) {
	if r.raised {
		return nil, errs.Conflict("this bed request already exists", "request-exists")
	}
	if err := oneOf("type", in.Type, RequestTypes); err != nil {
		return nil, err
	}
	if err := oneOf("source", in.Source, RequestSources); err != nil {
		return nil, err
	}
	if err := oneOf("priority", in.Priority, Priorities); err != nil {
		return nil, err
	}
	if (in.Type == StepDown) != (in.Source == SourceAcute) {
		return nil, errs.Invalid("source", "a step-up request comes from FALLS, UCR or ICT; a step-down request from ACUTE", "source-type-mismatch")
	}
	need, err := limitText("clinicalNeed", in.ClinicalNeed, 500, true)
	if err != nil {
		return nil, err
	}
	if in.Patient.NHSNumber.IsZero() || in.Locality == "" {
		return nil, errs.Invalid("patient", "needs an NHS number and a locality", "patient-incomplete")
	}
	ref, err := limitText("sourceRef", in.SourceRef, 100, false)
	if err != nil {
		return nil, err
	}
	return []aggregate.Event{BedRequestRaised{
		RequestID: r.id, Type: in.Type, Source: in.Source, Priority: in.Priority, ClinicalNeed: need,
		Patient: in.Patient, Locality: in.Locality, PreferredHospitalID: in.PreferredHospitalID, SourceRef: ref,
		RaisedAt: at.UTC(), RaisedBy: in.RaisedBy,
	}}, nil
}

// CheckRepeat says whether in repeats the request that raised r, as a
// client repeating a command with the same commandId would send it: the
// same type, source, patient and locality. The request's ID follows from
// the commandId, so a commandId already used for another request would
// otherwise answer with that request: someone else's patient.
func (r *BedRequest) CheckRepeat(in NewRequest) error {
	if !r.raised || r.typ != in.Type || r.source != in.Source ||
		r.patient.NHSNumber != in.Patient.NHSNumber || r.locality != in.Locality {
		return CommandIDReused()
	}
	return nil
}

// CommandIDReused is the CONFLICT that answers a commandId already used for
// another bed request. It names nothing of that request.
func CommandIDReused() error {
	return errs.Conflict("this commandId was already used for another bed request: use a new one", "command-id-reused")
}

// Accept agrees the patient needs a bed.
func (r *BedRequest) Accept(by string, at time.Time) ([]aggregate.Event, error) {
	if r.status != RequestPending {
		return nil, errs.IllegalStep("accept the bed request", r.status.phrase(), "request-not-pending")
	}
	return []aggregate.Event{BedRequestAccepted{RequestID: r.id, AcceptedAt: at.UTC(), AcceptedBy: by}}, nil
}

// Decline refuses the request, from pending or from accepted (the need went
// away before a bed was found).
func (r *BedRequest) Decline(reason, by string, at time.Time) ([]aggregate.Event, error) {
	if r.status != RequestPending && r.status != RequestAccepted {
		return nil, errs.IllegalStep("decline the bed request", r.status.phrase(), "request-not-open")
	}
	reason, err := limitText("reason", reason, 500, true)
	if err != nil {
		return nil, err
	}
	return []aggregate.Event{BedRequestDeclined{RequestID: r.id, Reason: reason, DeclinedAt: at.UTC(), DeclinedBy: by}}, nil
}

// CheckAllocatable says whether a bed may be allocated to the request now.
func (r *BedRequest) CheckAllocatable() error {
	if r.status != RequestAccepted {
		return errs.IllegalStep("allocate a bed to the request", r.status.phrase(), "request-not-accepted")
	}
	return nil
}

// MarkAllocated records the bed the request got. Repeating it for the same
// stay changes nothing.
func (r *BedRequest) MarkAllocated(stayID string, loc hospitals.Location, by string, at time.Time) ([]aggregate.Event, error) {
	if r.status == RequestAllocated && r.stayID == stayID {
		return nil, nil
	}
	if err := r.CheckAllocatable(); err != nil {
		return nil, err
	}
	return []aggregate.Event{BedAllocated{RequestID: r.id, StayID: stayID, Location: loc, AllocatedAt: at.UTC(), AllocatedBy: by}}, nil
}

// CancelAllocation returns an allocated request to the list: its stay's bed
// was given up before the patient arrived. Repeating it changes nothing.
func (r *BedRequest) CancelAllocation(stayID, reason, by string, at time.Time) ([]aggregate.Event, error) {
	if r.status != RequestAllocated || r.stayID != stayID {
		if r.status == RequestAccepted && r.stayID == "" {
			return nil, nil
		}
		return nil, errs.IllegalStep("cancel the allocation", r.status.phrase(), "request-not-allocated")
	}
	reason, err := CancelReason(reason)
	if err != nil {
		return nil, err
	}
	return []aggregate.Event{BedAllocationCancelled{RequestID: r.id, StayID: stayID, Reason: reason, CancelledAt: at.UTC(), CancelledBy: by}}, nil
}

// CancelReason validates why an allocation is cancelled.
func CancelReason(s string) (string, error) { return limitText("reason", s, 500, true) }

// Apply folds an event.
func (r *BedRequest) Apply(e aggregate.Event) {
	switch e := e.(type) {
	case BedRequestRaised:
		r.raised, r.status, r.typ, r.source, r.patient, r.locality, r.raisedAt = true, RequestPending, e.Type, e.Source, e.Patient, e.Locality, e.RaisedAt
	case BedRequestAccepted:
		r.status = RequestAccepted
	case BedRequestDeclined:
		r.status = RequestDeclined
	case BedAllocated:
		r.status, r.stayID = RequestAllocated, e.StayID
	case BedAllocationCancelled:
		r.status, r.stayID = RequestAccepted, ""
	}
}
