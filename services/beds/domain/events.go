package domain

import (
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/nhsnumber"

	"carecoord/services/beds/hospitals"
)

// The beds service's events. Type strings are forever: a new shape is a v2
// with an upcaster, never an edit. PatientAdmitted and PatientDischarged are
// published (other services consume them); the rest are the service's own.
// Every type in Types has a JSON Schema, schemas/events/beds/<type>.json,
// which the service's tests check real payloads against: a new type needs
// its schema, a v2 a new file.

// ---- bedrequest-<id> ----

// BedRequestRaised: someone asked for a community bed for a patient.
type BedRequestRaised struct {
	RequestID    string        `json:"requestId"`
	Type         RequestType   `json:"type"`
	Source       RequestSource `json:"source"`
	Priority     Priority      `json:"priority"`
	ClinicalNeed string        `json:"clinicalNeed"`
	Patient      Patient       `json:"patient"`
	Locality     string        `json:"locality"`
	// PreferredHospitalID is "" when any hospital will do.
	PreferredHospitalID string `json:"preferredHospitalId,omitempty"`
	// SourceRef identifies the asking record (a fall incident ID), if any.
	SourceRef string    `json:"sourceRef,omitempty"`
	RaisedAt  time.Time `json:"raisedAt"`
	RaisedBy  string    `json:"raisedBy"`
}

func (BedRequestRaised) EventType() string { return "beds.BedRequestRaised.v1" }

// BedRequestAccepted: the bed manager agreed the patient needs a bed.
type BedRequestAccepted struct {
	RequestID  string    `json:"requestId"`
	AcceptedAt time.Time `json:"acceptedAt"`
	AcceptedBy string    `json:"acceptedBy"`
}

func (BedRequestAccepted) EventType() string { return "beds.BedRequestAccepted.v1" }

// BedRequestDeclined: the bed manager declined the request.
type BedRequestDeclined struct {
	RequestID  string    `json:"requestId"`
	Reason     string    `json:"reason"`
	DeclinedAt time.Time `json:"declinedAt"`
	DeclinedBy string    `json:"declinedBy"`
}

func (BedRequestDeclined) EventType() string { return "beds.BedRequestDeclined.v1" }

// BedAllocated: the request got a bed (written once the bed is reserved).
type BedAllocated struct {
	RequestID string `json:"requestId"`
	StayID    string `json:"stayId"`
	hospitals.Location
	AllocatedAt time.Time `json:"allocatedAt"`
	AllocatedBy string    `json:"allocatedBy"`
}

func (BedAllocated) EventType() string { return "beds.BedAllocated.v1" }

// BedAllocationCancelled: the bed reserved for the request was given up
// before the patient arrived; the request waits for a bed again.
type BedAllocationCancelled struct {
	RequestID   string    `json:"requestId"`
	StayID      string    `json:"stayId"`
	Reason      string    `json:"reason"`
	CancelledAt time.Time `json:"cancelledAt"`
	CancelledBy string    `json:"cancelledBy"`
}

func (BedAllocationCancelled) EventType() string { return "beds.BedAllocationCancelled.v1" }

// ---- bed-<id> ----

// BedReserved: the bed is held for a stay whose patient has not arrived (a
// new admission, or a transfer in).
type BedReserved struct {
	BedID       string           `json:"bedId"`
	StayID      string           `json:"stayId"`
	RequestID   string           `json:"requestId"`
	NHSNumber   nhsnumber.Number `json:"nhsNumber"`
	Locality    string           `json:"locality"`
	ForTransfer bool             `json:"forTransfer"`
	ReservedAt  time.Time        `json:"reservedAt"`
}

func (BedReserved) EventType() string { return "beds.BedReserved.v1" }

// BedReservationReleased: the reservation was given up before the patient
// arrived (an allocation that could not complete).
type BedReservationReleased struct {
	BedID      string    `json:"bedId"`
	StayID     string    `json:"stayId"`
	Reason     string    `json:"reason"`
	ReleasedAt time.Time `json:"releasedAt"`
}

func (BedReservationReleased) EventType() string { return "beds.BedReservationReleased.v1" }

// BedAllocationAbandoned fences off an allocation that never reached the
// bed: it changes nothing but the stream's revision, so that the abandoned
// allocation's reservation, which expects the old revision, can never land.
type BedAllocationAbandoned struct {
	BedID       string    `json:"bedId"`
	StayID      string    `json:"stayId"`
	AbandonedAt time.Time `json:"abandonedAt"`
}

func (BedAllocationAbandoned) EventType() string { return "beds.BedAllocationAbandoned.v1" }

// Why a bed was occupied or vacated.
const (
	OccupiedOnAdmission = "ADMISSION"
	OccupiedOnTransfer  = "TRANSFER_IN"
	VacatedOnDischarge  = "DISCHARGE"
	VacatedOnTransfer   = "TRANSFER_OUT"
)

// BedOccupied: the patient of the reserving stay is in the bed.
type BedOccupied struct {
	BedID      string           `json:"bedId"`
	StayID     string           `json:"stayId"`
	NHSNumber  nhsnumber.Number `json:"nhsNumber"`
	Reason     string           `json:"reason"`
	OccupiedAt time.Time        `json:"occupiedAt"`
}

func (BedOccupied) EventType() string { return "beds.BedOccupied.v1" }

// BedVacated: the patient left the bed; it now needs cleaning.
type BedVacated struct {
	BedID     string    `json:"bedId"`
	StayID    string    `json:"stayId"`
	Reason    string    `json:"reason"`
	VacatedAt time.Time `json:"vacatedAt"`
}

func (BedVacated) EventType() string { return "beds.BedVacated.v1" }

// BedCleaned: housekeeping made the bed ready.
type BedCleaned struct {
	BedID     string    `json:"bedId"`
	CleanedAt time.Time `json:"cleanedAt"`
	CleanedBy string    `json:"cleanedBy"`
}

func (BedCleaned) EventType() string { return "beds.BedCleaned.v1" }

// BedClosed: the bed was taken out of use (closed, contaminated, isolated).
type BedClosed struct {
	BedID    string        `json:"bedId"`
	Status   BedStatus     `json:"status"`
	Reason   ClosureReason `json:"reason"`
	Note     string        `json:"note,omitempty"`
	ClosedAt time.Time     `json:"closedAt"`
	ClosedBy string        `json:"closedBy"`
}

func (BedClosed) EventType() string { return "beds.BedClosed.v1" }

// BedReopened: the bed is back in use (available, or awaiting the clean it
// needed when it was closed).
type BedReopened struct {
	BedID      string    `json:"bedId"`
	Status     BedStatus `json:"status"`
	ReopenedAt time.Time `json:"reopenedAt"`
	ReopenedBy string    `json:"reopenedBy"`
}

func (BedReopened) EventType() string { return "beds.BedReopened.v1" }

// ---- placement-<patientKey> ----

// StayAllocated claims a bed for a new stay of the patient: the first step of
// an allocation, before the bed itself is reserved. BedRevision is the
// bed's stream revision the claim was made against (-1: no events).
// AllocatedAt is the business time; ClaimedAt is when the command ran, what
// decides whether an unfinished claim may be abandoned.
type StayAllocated struct {
	StayID    string  `json:"stayId"`
	RequestID string  `json:"requestId"`
	Patient   Patient `json:"patient"`
	Locality  string  `json:"locality"`
	hospitals.Location
	BedRevision int64     `json:"bedRevision"`
	AllocatedAt time.Time `json:"allocatedAt"`
	ClaimedAt   time.Time `json:"claimedAt"`
}

func (StayAllocated) EventType() string { return "beds.StayAllocated.v1" }

// StayBedConfirmed: the claimed bed is reserved for the stay.
type StayBedConfirmed struct {
	StayID string `json:"stayId"`
	BedID  string `json:"bedId"`
}

func (StayBedConfirmed) EventType() string { return "beds.StayBedConfirmed.v1" }

// StayAllocationFailed: the claimed bed could not be reserved; the stay never
// began. Reason is a slug ("bed-taken").
type StayAllocationFailed struct {
	StayID string `json:"stayId"`
	BedID  string `json:"bedId"`
	Reason string `json:"reason"`
}

func (StayAllocationFailed) EventType() string { return "beds.StayAllocationFailed.v1" }

// PatientAdmitted is published: the patient arrived in the reserved bed.
// Its shape is the cross-service contract; change it only as a v2.
type PatientAdmitted struct {
	StayID       string    `json:"stayId"`
	BedRequestID string    `json:"bedRequestId"`
	Patient      Patient   `json:"patient"`
	Locality     string    `json:"locality"`
	HospitalID   string    `json:"hospitalId"`
	WardID       string    `json:"wardId"`
	BedID        string    `json:"bedId"`
	AdmittedAt   time.Time `json:"admittedAt"`
}

func (PatientAdmitted) EventType() string { return "beds.PatientAdmitted.v1" }

// TransferReason says why a patient moves bed.
type TransferReason string

const (
	TransferCapacityBalancing TransferReason = "CAPACITY_BALANCING"
	TransferCloserToHome      TransferReason = "CLOSER_TO_HOME"
	TransferClinicalNeed      TransferReason = "CLINICAL_NEED"
	TransferIsolation         TransferReason = "ISOLATION"
	TransferPatientChoice     TransferReason = "PATIENT_CHOICE"
	TransferOther             TransferReason = "OTHER"
)

// TransferReasons lists the reasons.
var TransferReasons = []TransferReason{TransferCapacityBalancing, TransferCloserToHome, TransferClinicalNeed, TransferIsolation, TransferPatientChoice, TransferOther}

// StayTransferStarted claims a bed for moving an admitted patient: the first
// step of a transfer, before the new bed is reserved. StartedAt is the
// business time of the move; ClaimedAt is when the command ran.
type StayTransferStarted struct {
	StayID      string             `json:"stayId"`
	To          hospitals.Location `json:"to"`
	Reason      TransferReason     `json:"reason"`
	BedRevision int64              `json:"bedRevision"`
	StartedAt   time.Time          `json:"startedAt"`
	ClaimedAt   time.Time          `json:"claimedAt"`
}

func (StayTransferStarted) EventType() string { return "beds.StayTransferStarted.v1" }

// StayTransferFailed: the new bed could not be reserved; the patient stays.
type StayTransferFailed struct {
	StayID      string `json:"stayId"`
	ToBedID     string `json:"toBedId"`
	BedRevision int64  `json:"bedRevision"`
	Reason      string `json:"reason"`
}

func (StayTransferFailed) EventType() string { return "beds.StayTransferFailed.v1" }

// PatientTransferred: the patient moved to another bed, ward or hospital.
type PatientTransferred struct {
	StayID        string             `json:"stayId"`
	From          hospitals.Location `json:"from"`
	To            hospitals.Location `json:"to"`
	Reason        TransferReason     `json:"reason"`
	TransferredAt time.Time          `json:"transferredAt"`
}

func (PatientTransferred) EventType() string { return "beds.PatientTransferred.v1" }

// NoCriteriaToResideRecorded: the patient no longer needs the bed (medically
// optimised) but is still in it: a delayed discharge, reported daily.
type NoCriteriaToResideRecorded struct {
	StayID      string      `json:"stayId"`
	Since       time.Time   `json:"since"`
	DelayReason DelayReason `json:"delayReason"`
}

func (NoCriteriaToResideRecorded) EventType() string { return "beds.NoCriteriaToResideRecorded.v1" }

// FollowUp is what happens after discharge.
type FollowUp struct {
	ICTReferral bool    `json:"ictReferral"`
	Reason      *string `json:"reason"`
}

// PatientDischarged is published: the patient left the community bed.
// Its shape is the cross-service contract; change it only as a v2.
type PatientDischarged struct {
	StayID       string    `json:"stayId"`
	Patient      Patient   `json:"patient"`
	Locality     string    `json:"locality"`
	Pathway      Pathway   `json:"pathway"`
	Destination  string    `json:"destination"`
	FollowUp     FollowUp  `json:"followUp"`
	DischargedAt time.Time `json:"dischargedAt"`
}

func (PatientDischarged) EventType() string { return "beds.PatientDischarged.v1" }

// Types decodes every event of the service.
var Types = aggregate.NewTypes(
	BedRequestRaised{}, BedRequestAccepted{}, BedRequestDeclined{}, BedAllocated{}, BedAllocationCancelled{},
	BedReserved{}, BedReservationReleased{}, BedAllocationAbandoned{}, BedOccupied{}, BedVacated{}, BedCleaned{}, BedClosed{}, BedReopened{},
	StayAllocated{}, StayBedConfirmed{}, StayAllocationFailed{}, PatientAdmitted{}, StayTransferStarted{}, StayTransferFailed{},
	PatientTransferred{}, NoCriteriaToResideRecorded{}, PatientDischarged{},
)

// Events lists an example of every event type, for registering handlers.
func Events() []aggregate.Event {
	return []aggregate.Event{
		BedRequestRaised{}, BedRequestAccepted{}, BedRequestDeclined{}, BedAllocated{}, BedAllocationCancelled{},
		BedReserved{}, BedReservationReleased{}, BedAllocationAbandoned{}, BedOccupied{}, BedVacated{}, BedCleaned{}, BedClosed{}, BedReopened{},
		StayAllocated{}, StayBedConfirmed{}, StayAllocationFailed{}, PatientAdmitted{}, StayTransferStarted{}, StayTransferFailed{},
		PatientTransferred{}, NoCriteriaToResideRecorded{}, PatientDischarged{},
	}
}
