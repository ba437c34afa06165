package domain

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"carecoord/pkg/errs"
	"carecoord/pkg/nhsnumber"
	"carecoord/pkg/postcode"
)

// Patient is who fell, as far as it is known. A fall alert often arrives
// before the NHS number does: every field may be unknown, and the patient can
// be linked later. Its JSON is the shared patient block of the cross-service
// contracts, with null for what is unknown.
type Patient struct {
	NHSNumber    nhsnumber.Number
	Verification nhsnumber.Verification
	GivenName    string
	FamilyName   string
	// DateOfBirth is YYYY-MM-DD, or "" when unknown.
	DateOfBirth string
	Postcode    postcode.Postcode
	// GPPractice is the registered practice's ODS code: it decides the
	// patient's locality.
	GPPractice string
}

// PatientFields are a patient's details as given, not yet validated.
type PatientFields struct {
	NHSNumber    string
	Verification string
	GivenName    string
	FamilyName   string
	DateOfBirth  string
	Postcode     string
	GPPractice   string
}

const maxNameLength = 100

// NewPatient validates a patient's details. Field names in errors are
// prefixed with field ("patient.nhsNumber"). An unknown NHS number is
// NOT_KNOWN unless the caller says a trace is under way; a known one is
// UNVERIFIED unless the caller says it was verified.
func NewPatient(field string, f PatientFields, today time.Time) (Patient, error) {
	var p Patient
	if s := strings.TrimSpace(f.NHSNumber); s != "" {
		n, err := nhsnumber.Parse(s)
		if err != nil {
			return Patient{}, prefixField(field, err)
		}
		p.NHSNumber = n
	}
	p.Verification = nhsnumber.NotKnown
	if !p.NHSNumber.IsZero() {
		p.Verification = nhsnumber.Unverified
	}
	if f.Verification != "" {
		v, err := nhsnumber.ParseVerification(f.Verification)
		if err != nil {
			return Patient{}, prefixField(field, err)
		}
		needsNumber := v == nhsnumber.Verified || v == nhsnumber.Unverified
		if needsNumber && p.NHSNumber.IsZero() {
			return Patient{}, errs.Invalid(field+".nhsNumberVerification", "VERIFIED and UNVERIFIED need an NHS number", "verification-without-number")
		}
		if !needsNumber && v != nhsnumber.TraceRequired && !p.NHSNumber.IsZero() {
			return Patient{}, errs.Invalid(field+".nhsNumberVerification", "an NHS number was given: its status is VERIFIED, UNVERIFIED or TRACE_REQUIRED", "verification-with-number")
		}
		p.Verification = v
	}
	for _, n := range []struct {
		name string
		v    *string
		in   string
	}{{"givenName", &p.GivenName, f.GivenName}, {"familyName", &p.FamilyName, f.FamilyName}} {
		*n.v = strings.TrimSpace(n.in)
		if utf8.RuneCountInString(*n.v) > maxNameLength {
			return Patient{}, errs.Invalid(field+"."+n.name, "is too long", "name-too-long")
		}
	}
	if s := strings.TrimSpace(f.DateOfBirth); s != "" {
		dob, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return Patient{}, errs.Invalid(field+".dateOfBirth", "must be a date such as 1941-03-02", "date-format")
		}
		if dob.After(today) {
			return Patient{}, errs.Invalid(field+".dateOfBirth", "is in the future", "date-of-birth-future")
		}
		p.DateOfBirth = s
	}
	if s := strings.TrimSpace(f.Postcode); s != "" {
		pc, err := postcode.Parse(s)
		if err != nil {
			return Patient{}, errs.Invalid(field+".postcode", "is not a UK postcode", "postcode")
		}
		p.Postcode = pc
	}
	p.GPPractice = strings.ToUpper(strings.TrimSpace(f.GPPractice))
	return p, nil
}

// Identified reports whether another service could act for the patient:
// an NHS number and a name.
func (p Patient) Identified() bool {
	return !p.NHSNumber.IsZero() && p.GivenName != "" && p.FamilyName != ""
}

// Known reports whether anything identifies the patient.
func (p Patient) Known() bool {
	return !p.NHSNumber.IsZero() || p.GivenName != "" || p.FamilyName != "" || p.DateOfBirth != ""
}

type patientJSON struct {
	NHSNumber    nhsnumber.Number       `json:"nhsNumber"`
	Verification nhsnumber.Verification `json:"nhsNumberVerification"`
	GivenName    *string                `json:"givenName"`
	FamilyName   *string                `json:"familyName"`
	DateOfBirth  *string                `json:"dateOfBirth"`
	Postcode     *string                `json:"postcode"`
	GPPractice   *string                `json:"gpPractice"`
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// MarshalJSON writes the shared patient block, null for the unknown.
func (p Patient) MarshalJSON() ([]byte, error) {
	v := p.Verification
	if v == "" {
		v = nhsnumber.NotKnown
	}
	return json.Marshal(patientJSON{
		NHSNumber: p.NHSNumber, Verification: v,
		GivenName: orNull(p.GivenName), FamilyName: orNull(p.FamilyName), DateOfBirth: orNull(p.DateOfBirth),
		Postcode: orNull(p.Postcode.String()), GPPractice: orNull(p.GPPractice),
	})
}

// UnmarshalJSON reads the shared patient block.
func (p *Patient) UnmarshalJSON(b []byte) error {
	var j patientJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Patient{NHSNumber: j.NHSNumber, Verification: j.Verification, GivenName: orEmpty(j.GivenName),
		FamilyName: orEmpty(j.FamilyName), DateOfBirth: orEmpty(j.DateOfBirth), GPPractice: orEmpty(j.GPPractice)}
	if s := orEmpty(j.Postcode); s != "" {
		pc, err := postcode.Parse(s)
		if err != nil {
			return err
		}
		p.Postcode = pc
	}
	return nil
}

// Address is where the faller is: free text as the caller gave it, and the
// postcode when known. It is patient-identifiable.
type Address struct {
	Text     string
	Postcode postcode.Postcode
}

const maxAddressLength = 500

// NewAddress validates an address; field prefixes error fields.
func NewAddress(field, text, pc string) (Address, error) {
	a := Address{Text: strings.TrimSpace(text)}
	if a.Text == "" {
		return Address{}, errs.Invalid(field+".text", "is required: responders need to find the patient", "address-required")
	}
	if utf8.RuneCountInString(a.Text) > maxAddressLength {
		return Address{}, errs.Invalid(field+".text", "is too long", "address-too-long")
	}
	if s := strings.TrimSpace(pc); s != "" {
		p, err := postcode.Parse(s)
		if err != nil {
			return Address{}, errs.Invalid(field+".postcode", "is not a UK postcode", "postcode")
		}
		a.Postcode = p
	}
	return a, nil
}

type addressJSON struct {
	Text     string  `json:"text"`
	Postcode *string `json:"postcode"`
}

// MarshalJSON writes {"text", "postcode" (or null)}.
func (a Address) MarshalJSON() ([]byte, error) {
	return json.Marshal(addressJSON{Text: a.Text, Postcode: orNull(a.Postcode.String())})
}

// UnmarshalJSON reads an address.
func (a *Address) UnmarshalJSON(b []byte) error {
	var j addressJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*a = Address{Text: j.Text}
	if s := orEmpty(j.Postcode); s != "" {
		pc, err := postcode.Parse(s)
		if err != nil {
			return err
		}
		a.Postcode = pc
	}
	return nil
}

// prefixField puts field in front of a typed error's field
// ("nhsNumber" → "patient.nhsNumber").
func prefixField(field string, err error) error {
	e, ok := errs.As(err)
	if !ok {
		return err
	}
	f := field
	if e.Field != "" {
		f = field + "." + e.Field
	}
	return &errs.Error{Kind: e.Kind, Slug: e.Slug, Msg: e.Msg, Field: f}
}
