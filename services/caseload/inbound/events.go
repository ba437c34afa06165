// Package inbound holds caseload's own copies of the events other services
// publish and caseload consumes. A service never imports another's Go
// packages: these structs repeat the agreed JSON shapes and type strings, and
// the JSON Schemas in schemas/events/<producer>/ are the contract between
// them. Fields caseload does not use are left out; unknown fields are
// ignored when decoding, so a producer may add fields freely.
//
// It imports nothing of carecoord.
package inbound

import "time"

// Patient is the shared patient block of cross-service events. Every field
// may be null; the NHS number in particular may be unknown.
type Patient struct {
	NHSNumber             *string `json:"nhsNumber"`
	NHSNumberVerification string  `json:"nhsNumberVerification"`
	GivenName             string  `json:"givenName"`
	FamilyName            string  `json:"familyName"`
	DateOfBirth           *string `json:"dateOfBirth"`
	Postcode              *string `json:"postcode"`
	GPPractice            *string `json:"gpPractice"`
}

// NHS is the NHS number, or "" when unknown.
func (p Patient) NHS() string { return deref(p.NHSNumber) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Str returns *s, or "" for null.
func Str(s *string) string { return deref(s) }

// Coded is a SNOMED CT concept.
type Coded struct {
	SNOMEDCode string `json:"snomedCode"`
	Display    string `json:"display"`
}

// ReferralAccepted is referrals.ReferralAccepted.v1: triage accepted a
// referral; caseload opens an episode for it.
type ReferralAccepted struct {
	ReferralID       string    `json:"referralId"`
	Patient          Patient   `json:"patient"`
	Locality         string    `json:"locality"`
	ServiceRequested string    `json:"serviceRequested"`
	Priority         string    `json:"priority"`
	UCR              bool      `json:"ucr"`
	Reason           Coded     `json:"reason"`
	AcceptedAt       time.Time `json:"acceptedAt"`
	AcceptedBy       string    `json:"acceptedBy"`
}

// EventType is the producer's type string.
func (ReferralAccepted) EventType() string { return "referrals.ReferralAccepted.v1" }

// PatientAdmitted is beds.PatientAdmitted.v1: a patient arrived in a
// community bed; caseload suspends their open episodes.
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

// EventType is the producer's type string.
func (PatientAdmitted) EventType() string { return "beds.PatientAdmitted.v1" }

// FollowUp is what a discharge asks of the community.
type FollowUp struct {
	ICTReferral bool    `json:"ictReferral"`
	Reason      *string `json:"reason"`
}

// PatientDischarged is beds.PatientDischarged.v1: a patient left a
// community bed; caseload resumes the episodes the stay suspended.
type PatientDischarged struct {
	StayID       string    `json:"stayId"`
	Patient      Patient   `json:"patient"`
	Locality     string    `json:"locality"`
	Pathway      string    `json:"pathway"`
	Destination  string    `json:"destination"`
	FollowUp     FollowUp  `json:"followUp"`
	DischargedAt time.Time `json:"dischargedAt"`
}

// EventType is the producer's type string.
func (PatientDischarged) EventType() string { return "beds.PatientDischarged.v1" }
