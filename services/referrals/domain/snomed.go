package domain

import "carecoord/pkg/errs"

// ValidateSnomedID checks the form of a SNOMED CT concept identifier: 6 to 18
// digits, no leading zero, a concept partition identifier ("00" for the
// international release, "10" for a concept from a national or local
// extension) and a Verhoeff check digit. It catches typing errors; it cannot
// say whether the concept exists (that needs a terminology server).
func ValidateSnomedID(field, id string) error {
	if len(id) < 6 || len(id) > 18 {
		return errs.Invalid(field, "a SNOMED CT code has 6 to 18 digits", "snomed-length")
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return errs.Invalid(field, "a SNOMED CT code has only digits", "snomed-digits")
		}
	}
	if id[0] == '0' {
		return errs.Invalid(field, "a SNOMED CT code does not start with 0", "snomed-leading-zero")
	}
	if p := id[len(id)-3 : len(id)-1]; p != "00" && p != "10" {
		return errs.Invalid(field, "is not a SNOMED CT concept code (it may be a description or relationship ID)", "snomed-not-concept")
	}
	if !verhoeffValid(id) {
		return errs.Invalid(field, "the SNOMED CT code's check digit is wrong: check it was typed correctly", "snomed-check-digit")
	}
	return nil
}

// The Verhoeff scheme's dihedral group D5 tables.
var (
	verhoeffD = [10][10]uint8{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
		{2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8},
		{5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2},
		{7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	}
	verhoeffP = [8][10]uint8{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
		{5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
		{9, 4, 5, 3, 1, 2, 6, 8, 7, 0},
		{4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5},
		{7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
	}
)

// verhoeffValid reports whether the number's last digit is its Verhoeff
// check digit.
func verhoeffValid(digits string) bool {
	c := uint8(0)
	for i := 0; i < len(digits); i++ {
		d := digits[len(digits)-1-i] - '0'
		c = verhoeffD[c][verhoeffP[i%8][d]]
	}
	return c == 0
}
