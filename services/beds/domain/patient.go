package domain

import (
	"time"

	"carecoord/pkg/errs"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/nhsnumber"
	"carecoord/pkg/postcode"
)

// Patient is the patient block the services share in their events (the
// cross-service contract): identity as the referrer gave it. It is
// patient-identifiable: never log it or put any of it in an error.
type Patient struct {
	NHSNumber    nhsnumber.Number       `json:"nhsNumber"`
	Verification nhsnumber.Verification `json:"nhsNumberVerification"`
	GivenName    string                 `json:"givenName"`
	FamilyName   string                 `json:"familyName"`
	// DateOfBirth is "YYYY-MM-DD", or nil when unknown.
	DateOfBirth *string `json:"dateOfBirth"`
	// Postcode is normalised ("ST13 5BQ"), or nil when unknown.
	Postcode *string `json:"postcode"`
	// GPPractice is the ODS code of the registered practice, or nil.
	GPPractice *string `json:"gpPractice"`
}

// PatientInput is a patient block as a client or another service sent it.
type PatientInput struct {
	NHSNumber    string `json:"nhsNumber"`
	Verification string `json:"nhsNumberVerification"`
	GivenName    string `json:"givenName"`
	FamilyName   string `json:"familyName"`
	DateOfBirth  string `json:"dateOfBirth"`
	Postcode     string `json:"postcode"`
	GPPractice   string `json:"gpPractice"`
}

// NewPatient validates a patient block for a bed. A community bed is for a
// known person: the NHS number is required (it is the key that keeps a
// patient in one bed at a time), unlike a falls alert's.
func NewPatient(field string, in PatientInput, today time.Time) (Patient, error) {
	var p Patient
	if in.NHSNumber == "" {
		return p, errs.Invalid(field+".nhsNumber", "is required for a bed request", "nhs-number-required")
	}
	n, err := nhsnumber.Parse(in.NHSNumber)
	if err != nil {
		return p, errs.Invalid(field+".nhsNumber", invalidMsg(err), "nhs-number-invalid")
	}
	p.NHSNumber = n
	p.Verification = nhsnumber.Unverified
	if in.Verification != "" {
		v, err := nhsnumber.ParseVerification(in.Verification)
		if err != nil {
			return p, errs.Invalid(field+".nhsNumberVerification", invalidMsg(err), "verification-unknown")
		}
		p.Verification = v
	}
	if p.Verification == nhsnumber.NotKnown {
		return p, errs.Invalid(field+".nhsNumberVerification", "cannot be NOT_KNOWN when an NHS number is given", "verification-inconsistent")
	}
	if p.GivenName, err = limitText(field+".givenName", in.GivenName, 100, true); err != nil {
		return p, err
	}
	if p.FamilyName, err = limitText(field+".familyName", in.FamilyName, 100, true); err != nil {
		return p, err
	}
	if in.DateOfBirth != "" {
		d, err := time.Parse(time.DateOnly, in.DateOfBirth)
		if err != nil || d.After(today) || d.Year() < 1880 {
			return p, errs.Invalid(field+".dateOfBirth", "must be a past date such as 1941-03-02", "date-of-birth-invalid")
		}
		s := d.Format(time.DateOnly)
		p.DateOfBirth = &s
	}
	if in.Postcode != "" {
		pc, err := postcode.Parse(in.Postcode)
		if err != nil {
			return p, errs.Invalid(field+".postcode", invalidMsg(err), "postcode-invalid")
		}
		s := pc.String()
		p.Postcode = &s
	}
	if in.GPPractice != "" {
		s := in.GPPractice
		p.GPPractice = &s
	}
	return p, nil
}

func invalidMsg(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Msg
	}
	return "is not valid"
}

// PatientKey is the pseudonymous key of a patient's placement stream. The
// NHS number itself never appears in a stream name: stream names reach logs,
// metrics and parked-event records.
func PatientKey(n nhsnumber.Number) string {
	return eventstore.DeterministicID("beds.placement", n.String()).String()
}
