// Package nhsnumber is the NHS number: ten digits whose last is a Modulus 11
// check digit, shown 3-3-4, with the verification status that travels beside
// it (a falls alert may arrive before the number is known or traced).
//
// A Number is patient-identifiable: never put one in a log line, an error
// message or a metric label.
//
// It imports only pkg/errs.
package nhsnumber

import (
	"encoding/json"
	"strings"

	"carecoord/pkg/errs"
)

// Number is a valid NHS number, held as ten digits.
type Number struct{ digits string }

// Parse accepts ten digits, optionally grouped 3-3-4 by spaces or hyphens,
// and checks the Modulus 11 check digit.
func Parse(s string) (Number, error) {
	d := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if len(d) != 10 {
		return Number{}, errs.Invalid("nhsNumber", "an NHS number has 10 digits", "nhs-number-length")
	}
	for _, r := range d {
		if r < '0' || r > '9' {
			return Number{}, errs.Invalid("nhsNumber", "an NHS number has only digits", "nhs-number-digits")
		}
	}
	if !checkDigitOK(d) {
		return Number{}, errs.Invalid("nhsNumber", "the NHS number's check digit is wrong: check it was typed correctly", "nhs-number-check-digit")
	}
	return Number{digits: d}, nil
}

// MustParse is Parse for constants in tests and demo data.
func MustParse(s string) Number {
	n, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return n
}

// checkDigitOK applies Modulus 11: weights 10..2 on digits 1-9, check = 11 -
// (sum mod 11), 11 becomes 0, 10 is never valid.
func checkDigitOK(d string) bool {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == int(d[9]-'0')
}

// CheckDigit computes the check digit for nine digits, or -1 when no check
// digit makes them valid. Demo data uses it to make synthetic numbers.
func CheckDigit(nine string) int {
	if len(nine) != 9 {
		return -1
	}
	sum := 0
	for i := 0; i < 9; i++ {
		if nine[i] < '0' || nine[i] > '9' {
			return -1
		}
		sum += int(nine[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 {
		return -1
	}
	return check
}

// String is the ten digits, the form stored and compared.
func (n Number) String() string { return n.digits }

// Formatted is the 3-3-4 display form.
func (n Number) Formatted() string {
	if n.digits == "" {
		return ""
	}
	return n.digits[:3] + " " + n.digits[3:6] + " " + n.digits[6:]
}

// IsZero reports whether the number is unknown.
func (n Number) IsZero() bool { return n.digits == "" }

// MarshalJSON writes the ten digits (or null when unknown).
func (n Number) MarshalJSON() ([]byte, error) {
	if n.digits == "" {
		return []byte("null"), nil
	}
	return json.Marshal(n.digits)
}

// UnmarshalJSON reads and validates a number; null or "" is unknown.
func (n *Number) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == nil || *s == "" {
		*n = Number{}
		return nil
	}
	p, err := Parse(*s)
	if err != nil {
		return err
	}
	*n = p
	return nil
}

// Verification is the number's trace status, after the NHS data
// dictionary's NHS Number Status Indicator codes.
type Verification string

const (
	// Verified: number present and verified against PDS (code 01).
	Verified Verification = "VERIFIED"
	// Unverified: number present but not traced (code 02).
	Unverified Verification = "UNVERIFIED"
	// TraceRequired: trace required (code 03).
	TraceRequired Verification = "TRACE_REQUIRED"
	// TraceNoMatch: trace attempted, no match or multiple matches (code 04).
	TraceNoMatch Verification = "TRACE_NO_MATCH"
	// NotKnown: no number yet, e.g. a falls alert for an unidentified person
	// (code 07).
	NotKnown Verification = "NOT_KNOWN"
)

// Verifications lists every status in display order.
var Verifications = []Verification{Verified, Unverified, TraceRequired, TraceNoMatch, NotKnown}

// ParseVerification validates a status.
func ParseVerification(s string) (Verification, error) {
	for _, v := range Verifications {
		if string(v) == s {
			return v, nil
		}
	}
	return "", errs.Invalid("nhsNumberVerification", "unknown verification status", "verification-unknown")
}
