// Package postcode is the UK postcode: an outward code (area and district),
// a space, and an inward code (a digit and two letters). A postcode is
// patient-identifiable when it is a patient's: keep it out of logs.
//
// It imports only pkg/errs.
package postcode

import (
	"regexp"
	"strings"

	"carecoord/pkg/errs"
)

// Postcode is a valid, normalised postcode ("ST13 5BQ").
type Postcode struct{ s string }

var pattern = regexp.MustCompile(`^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$`)

// Parse normalises case and spacing and checks the shape.
func Parse(s string) (Postcode, error) {
	u := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	m := pattern.FindStringSubmatch(u)
	if m == nil {
		return Postcode{}, errs.Invalid("postcode", "is not a UK postcode (for example ST13 5BQ)", "postcode-invalid")
	}
	return Postcode{s: m[1] + " " + m[2]}, nil
}

// MustParse is Parse for constants.
func MustParse(s string) Postcode {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

func (p Postcode) String() string { return p.s }

// Outward is the area and district ("ST13").
func (p Postcode) Outward() string {
	if i := strings.IndexByte(p.s, ' '); i > 0 {
		return p.s[:i]
	}
	return ""
}

// IsZero reports an unknown postcode.
func (p Postcode) IsZero() bool { return p.s == "" }

// MarshalText writes the normalised form.
func (p Postcode) MarshalText() ([]byte, error) { return []byte(p.s), nil }

// UnmarshalText validates; empty is unknown.
func (p *Postcode) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*p = Postcode{}
		return nil
	}
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
