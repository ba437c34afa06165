package domain

import (
	"time"

	"carecoord/pkg/aggregate"
)

// The referral's events. Each is published: its type string is a contract
// (schemas/events/referrals/<type>.json) and is never renamed or reused; a
// new shape is a v2. Every event names its referral and locality, so that a
// consumer (or a locality's live feed) needs nothing else to route it.
// Times are business times: when it happened, not when it was typed in.

// ReferralReceived: the service holds a new referral.
type ReferralReceived struct {
	ReferralID string       `json:"referralId"`
	Patient    PatientBlock `json:"patient"`
	Locality   string       `json:"locality"`
	Referrer   Referrer     `json:"referrer"`
	// ReceivedAt is when the service got the referral (business time).
	ReceivedAt time.Time `json:"receivedAt"`
	// RecordedAt is when it was entered into carecoord.
	RecordedAt       time.Time  `json:"recordedAt"`
	Reason           Reason     `json:"reason"`
	ServiceRequested string     `json:"serviceRequested"`
	Priority         Priority   `json:"priority"`
	UCR              bool       `json:"ucr"`
	Consent          Consent    `json:"consent"`
	RiskFlags        []RiskFlag `json:"riskFlags"`
	// PatientChoseLaterTime takes a UCR referral out of the 2-hour measure
	// from the start: the patient asked to be seen later.
	PatientChoseLaterTime bool    `json:"patientChoseLaterTime"`
	Notes                 *string `json:"notes"`
	// SourceReference links a referral raised by another service's event to
	// that record ("fallincident-<id>", "stay-<id>").
	SourceReference *string `json:"sourceReference"`
}

// ReferralAccepted: triage accepted the referral; it waits at its priority.
// Its shape is the agreed cross-service contract (caseload consumes it).
type ReferralAccepted struct {
	ReferralID       string       `json:"referralId"`
	Patient          PatientBlock `json:"patient"`
	Locality         string       `json:"locality"`
	ServiceRequested string       `json:"serviceRequested"`
	Priority         Priority     `json:"priority"`
	UCR              bool         `json:"ucr"`
	Reason           Reason       `json:"reason"`
	AcceptedAt       time.Time    `json:"acceptedAt"`
	AcceptedBy       string       `json:"acceptedBy"`
}

// ReferralRejected: triage turned the referral down.
type ReferralRejected struct {
	ReferralID string    `json:"referralId"`
	Locality   string    `json:"locality"`
	Reason     string    `json:"reason"`
	RejectedAt time.Time `json:"rejectedAt"`
	RejectedBy string    `json:"rejectedBy"`
}

// ReferralRedirected: triage sent the referral to another service.
type ReferralRedirected struct {
	ReferralID   string    `json:"referralId"`
	Locality     string    `json:"locality"`
	Service      string    `json:"service"`
	Reason       *string   `json:"reason"`
	RedirectedAt time.Time `json:"redirectedAt"`
	RedirectedBy string    `json:"redirectedBy"`
}

// ReferralInformationRequested: triage needs more before it can decide.
type ReferralInformationRequested struct {
	ReferralID    string    `json:"referralId"`
	Locality      string    `json:"locality"`
	Information   string    `json:"information"`
	RequestedFrom *string   `json:"requestedFrom"`
	RequestedAt   time.Time `json:"requestedAt"`
	RequestedBy   string    `json:"requestedBy"`
}

// ReferralInformationReceived: what triage asked for has arrived; the
// referral is back for triage and a UCR clock starts again from here.
type ReferralInformationReceived struct {
	ReferralID string    `json:"referralId"`
	Locality   string    `json:"locality"`
	ReceivedAt time.Time `json:"receivedAt"`
	RecordedBy string    `json:"recordedBy"`
}

// ReferralAllocated: a team and a named clinician will see the patient
// (again on reallocation).
type ReferralAllocated struct {
	ReferralID    string    `json:"referralId"`
	Locality      string    `json:"locality"`
	Team          string    `json:"team"`
	ClinicianID   string    `json:"clinicianId"`
	ClinicianName *string   `json:"clinicianName"`
	AllocatedAt   time.Time `json:"allocatedAt"`
	AllocatedBy   string    `json:"allocatedBy"`
}

// ReferralFirstContactRecorded: the patient was seen face to face; the
// UCR clock stops and the referral is complete.
type ReferralFirstContactRecorded struct {
	ReferralID string    `json:"referralId"`
	Locality   string    `json:"locality"`
	ContactAt  time.Time `json:"contactAt"`
	RecordedBy string    `json:"recordedBy"`
}

// ReferralPatientChoiceRecorded: the patient chose to be seen later than the
// service could; the referral leaves the UCR 2-hour measure.
type ReferralPatientChoiceRecorded struct {
	ReferralID  string     `json:"referralId"`
	Locality    string     `json:"locality"`
	PreferredAt *time.Time `json:"preferredAt"`
	RecordedAt  time.Time  `json:"recordedAt"`
	RecordedBy  string     `json:"recordedBy"`
}

// ReferralWithdrawn: the referrer or patient took the referral back.
type ReferralWithdrawn struct {
	ReferralID  string    `json:"referralId"`
	Locality    string    `json:"locality"`
	Reason      string    `json:"reason"`
	WithdrawnAt time.Time `json:"withdrawnAt"`
	WithdrawnBy string    `json:"withdrawnBy"`
}

// ReferralCancelled: the service closed the referral unseen.
type ReferralCancelled struct {
	ReferralID  string    `json:"referralId"`
	Locality    string    `json:"locality"`
	Reason      string    `json:"reason"`
	CancelledAt time.Time `json:"cancelledAt"`
	CancelledBy string    `json:"cancelledBy"`
}

// ReferralEnteredInError: the referral should never have been recorded.
type ReferralEnteredInError struct {
	ReferralID string    `json:"referralId"`
	Locality   string    `json:"locality"`
	Reason     string    `json:"reason"`
	MarkedAt   time.Time `json:"markedAt"`
	MarkedBy   string    `json:"markedBy"`
}

func (ReferralReceived) EventType() string   { return "referrals.ReferralReceived.v1" }
func (ReferralAccepted) EventType() string   { return "referrals.ReferralAccepted.v1" }
func (ReferralRejected) EventType() string   { return "referrals.ReferralRejected.v1" }
func (ReferralRedirected) EventType() string { return "referrals.ReferralRedirected.v1" }
func (ReferralInformationRequested) EventType() string {
	return "referrals.ReferralInformationRequested.v1"
}
func (ReferralInformationReceived) EventType() string {
	return "referrals.ReferralInformationReceived.v1"
}
func (ReferralAllocated) EventType() string { return "referrals.ReferralAllocated.v1" }
func (ReferralFirstContactRecorded) EventType() string {
	return "referrals.ReferralFirstContactRecorded.v1"
}
func (ReferralPatientChoiceRecorded) EventType() string {
	return "referrals.ReferralPatientChoiceRecorded.v1"
}
func (ReferralWithdrawn) EventType() string      { return "referrals.ReferralWithdrawn.v1" }
func (ReferralCancelled) EventType() string      { return "referrals.ReferralCancelled.v1" }
func (ReferralEnteredInError) EventType() string { return "referrals.ReferralEnteredInError.v1" }

// Types decodes the referral stream's events.
var Types = aggregate.NewTypes(
	ReferralReceived{}, ReferralAccepted{}, ReferralRejected{}, ReferralRedirected{},
	ReferralInformationRequested{}, ReferralInformationReceived{}, ReferralAllocated{},
	ReferralFirstContactRecorded{}, ReferralPatientChoiceRecorded{},
	ReferralWithdrawn{}, ReferralCancelled{}, ReferralEnteredInError{},
)

// Examples returns one value of every event type, for tests that walk them
// all (schemas, decoding).
func Examples() []aggregate.Event {
	return []aggregate.Event{
		ReferralReceived{}, ReferralAccepted{}, ReferralRejected{}, ReferralRedirected{},
		ReferralInformationRequested{}, ReferralInformationReceived{}, ReferralAllocated{},
		ReferralFirstContactRecorded{}, ReferralPatientChoiceRecorded{},
		ReferralWithdrawn{}, ReferralCancelled{}, ReferralEnteredInError{},
	}
}
