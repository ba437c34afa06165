package nhsnumber_test

import (
	"encoding/json"
	"testing"

	"carecoord/pkg/errs"
	"carecoord/pkg/nhsnumber"
)

func TestParse_accepts_the_data_dictionary_example_in_any_grouping(t *testing.T) {
	for _, in := range []string{"9434765919", "943 476 5919", "943-476-5919", " 943 476 5919 "} {
		n, err := nhsnumber.Parse(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if n.String() != "9434765919" || n.Formatted() != "943 476 5919" {
			t.Fatalf("%q parsed as %s / %s", in, n, n.Formatted())
		}
	}
}

func TestParse_rejects_bad_numbers_with_a_typed_error(t *testing.T) {
	cases := map[string]string{
		"9434765918":  "nhs-number-check-digit", // wrong check digit
		"943476591":   "nhs-number-length",
		"94347659190": "nhs-number-length",
		"94347A5919":  "nhs-number-digits",
		"":            "nhs-number-length",
		"1000000010":  "nhs-number-check-digit", // check digit would be 10: never valid
	}
	for in, slug := range cases {
		_, err := nhsnumber.Parse(in)
		e, ok := errs.As(err)
		if !ok || e.Kind != errs.KindInvalidInput || e.Slug != slug {
			t.Errorf("%q: %v, want invalid input %s", in, err, slug)
		}
		if e != nil && (contains(e.Msg, in) && in != "") {
			t.Errorf("%q: the error message repeats the number", in)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestCheckDigit_makes_valid_numbers(t *testing.T) {
	if nhsnumber.CheckDigit("943476591") != 9 {
		t.Fatal("check digit of the example")
	}
	made := 0
	for i := 100000000; i < 100000100; i++ {
		nine := itoa9(i)
		c := nhsnumber.CheckDigit(nine)
		if c < 0 {
			continue
		}
		if _, err := nhsnumber.Parse(nine + string(rune('0'+c))); err != nil {
			t.Fatalf("%s%d: %v", nine, c, err)
		}
		made++
	}
	if made < 80 {
		t.Fatalf("only %d of 100 prefixes had a check digit", made)
	}
}

func itoa9(i int) string {
	b := []byte("000000000")
	for j := 8; j >= 0; j-- {
		b[j] = byte('0' + i%10)
		i /= 10
	}
	return string(b)
}

func TestNumber_JSON_round_trip_and_unknown(t *testing.T) {
	type rec struct {
		N nhsnumber.Number `json:"n"`
	}
	b, _ := json.Marshal(rec{N: nhsnumber.MustParse("9434765919")})
	if string(b) != `{"n":"9434765919"}` {
		t.Fatalf("marshalled %s", b)
	}
	var r rec
	if err := json.Unmarshal([]byte(`{"n":null}`), &r); err != nil || !r.N.IsZero() {
		t.Fatalf("null: %v %v", r.N, err)
	}
	if err := json.Unmarshal([]byte(`{"n":"9434765918"}`), &r); err == nil {
		t.Fatal("an invalid number unmarshalled")
	}
}
