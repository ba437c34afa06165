package domain

import (
	"regexp"
	"time"

	"carecoord/pkg/errs"
	"carecoord/pkg/nhsnumber"
	"carecoord/pkg/postcode"
)

// Patient is who is referred, as the referrer described them. The values are
// already parsed; NewPatient checks that they fit together.
type Patient struct {
	NHSNumber    nhsnumber.Number // zero: not known
	Verification nhsnumber.Verification
	GivenName    string
	FamilyName   string
	DateOfBirth  time.Time         // zero: not known; a date (midnight UTC)
	Postcode     postcode.Postcode // zero: not known (no fixed abode)
	GPPractice   string            // ODS code; empty: not registered
}

// NewPatient validates a patient. Field names are paths under "patient".
func NewPatient(p Patient) (Patient, error) {
	var err error
	if p.GivenName, err = text("patient.givenName", p.GivenName, 100, true); err != nil {
		return Patient{}, err
	}
	if p.FamilyName, err = text("patient.familyName", p.FamilyName, 100, true); err != nil {
		return Patient{}, err
	}
	// The verification status has to be true of the number beside it: a
	// VERIFIED status with no number, or a number marked NOT_KNOWN, is a
	// contradiction the PDS trace would later trip over.
	switch {
	case p.NHSNumber.IsZero() && (p.Verification == nhsnumber.Verified || p.Verification == nhsnumber.Unverified):
		return Patient{}, errs.Invalid("patient.nhsNumberVerification", "a number marked verified or unverified needs the NHS number", "verification-without-number")
	case !p.NHSNumber.IsZero() && p.Verification == nhsnumber.NotKnown:
		return Patient{}, errs.Invalid("patient.nhsNumberVerification", "is NOT_KNOWN but an NHS number is given", "verification-not-known-with-number")
	}
	if _, err := nhsnumber.ParseVerification(string(p.Verification)); err != nil {
		return Patient{}, errs.Invalid("patient.nhsNumberVerification", "unknown verification status", "verification-unknown")
	}
	if !p.DateOfBirth.IsZero() {
		d := p.DateOfBirth.UTC()
		p.DateOfBirth = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		if p.DateOfBirth.Year() < 1890 {
			return Patient{}, errs.Invalid("patient.dateOfBirth", "is too far in the past", "date-of-birth-implausible")
		}
	}
	if p.GPPractice != "" && !odsPractice.MatchString(p.GPPractice) {
		return Patient{}, errs.Invalid("patient.gpPractice", "is not a GP practice ODS code (a letter and five digits)", "practice-code-format")
	}
	return p, nil
}

var (
	odsPractice = regexp.MustCompile(`^[A-Z][0-9]{5}$`)
	odsCode     = regexp.MustCompile(`^[A-Z0-9]{1,9}$`)
)

// AgeOn is the patient's age in whole years on a date, and whether the date
// of birth is known.
func (p Patient) AgeOn(t time.Time) (int, bool) {
	if p.DateOfBirth.IsZero() {
		return 0, false
	}
	t = t.UTC()
	age := t.Year() - p.DateOfBirth.Year()
	if t.Month() < p.DateOfBirth.Month() || (t.Month() == p.DateOfBirth.Month() && t.Day() < p.DateOfBirth.Day()) {
		age--
	}
	return age, true
}

// Block is the patient as published in events: the shared patient block of
// the cross-service contracts (absent values are null).
func (p Patient) Block() PatientBlock {
	b := PatientBlock{
		NHSNumberVerification: string(p.Verification),
		GivenName:             p.GivenName,
		FamilyName:            p.FamilyName,
	}
	if !p.NHSNumber.IsZero() {
		s := p.NHSNumber.String()
		b.NHSNumber = &s
	}
	if !p.DateOfBirth.IsZero() {
		s := p.DateOfBirth.Format(time.DateOnly)
		b.DateOfBirth = &s
	}
	if !p.Postcode.IsZero() {
		s := p.Postcode.String()
		b.Postcode = &s
	}
	if p.GPPractice != "" {
		s := p.GPPractice
		b.GPPractice = &s
	}
	return b
}

// PatientBlock is the shared patient JSON block of carecoord's cross-service
// events.
type PatientBlock struct {
	NHSNumber             *string `json:"nhsNumber"`
	NHSNumberVerification string  `json:"nhsNumberVerification"`
	GivenName             string  `json:"givenName"`
	FamilyName            string  `json:"familyName"`
	DateOfBirth           *string `json:"dateOfBirth"`
	Postcode              *string `json:"postcode"`
	GPPractice            *string `json:"gpPractice"`
}

// NHS returns the NHS number, or "" when it is not known.
func (b PatientBlock) NHS() string {
	if b.NHSNumber == nil {
		return ""
	}
	return *b.NHSNumber
}

// Referrer is who sent the referral.
type Referrer struct {
	// Name of the referring person (a professional, or the patient or carer
	// for a self-referral); nil when an automated flow raised it.
	Name *string `json:"name"`
	// OrganisationODS is the referring organisation's ODS code; nil for a
	// self-referral.
	OrganisationODS *string `json:"organisationOds"`
	Source          Source  `json:"source"`
}

// NewReferrer validates a referrer. A professional referral names its
// organisation so that triage can reply; a self or carer referral has none.
func NewReferrer(name, ods *string, source Source) (Referrer, error) {
	if _, err := ParseSource("referrer.source", string(source)); err != nil {
		return Referrer{}, err
	}
	n, err := optText("referrer.name", name, 100)
	if err != nil {
		return Referrer{}, err
	}
	o, err := optText("referrer.organisationOds", ods, 9)
	if err != nil {
		return Referrer{}, err
	}
	if o != nil && !odsCode.MatchString(*o) {
		return Referrer{}, errs.Invalid("referrer.organisationOds", "is not an ODS code (1 to 9 capital letters and digits)", "ods-code-format")
	}
	if source == SourceGP && o == nil {
		return Referrer{}, errs.Invalid("referrer.organisationOds", "a GP referral names its practice's ODS code", "ods-code-required")
	}
	if n == nil && (source == SourceGP || source == SourceSelfOrCarer) {
		return Referrer{}, errs.Invalid("referrer.name", "say who made the referral, so that triage can reply", "referrer-name-required")
	}
	return Referrer{Name: n, OrganisationODS: o, Source: source}, nil
}
