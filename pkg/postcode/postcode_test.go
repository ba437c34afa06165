package postcode_test

import (
	"testing"

	"carecoord/pkg/postcode"
)

func TestParse_normalises_real_shapes(t *testing.T) {
	cases := map[string]string{
		"st13 5bq": "ST13 5BQ", "ST135BQ": "ST13 5BQ", "WS13 6EF": "WS13 6EF",
		"b78 3sw": "B78 3SW", "DE14  1AA": "DE14 1AA", "WV8 1AA": "WV8 1AA", "EC1A 1BB": "EC1A 1BB",
	}
	for in, want := range cases {
		p, err := postcode.Parse(in)
		if err != nil || p.String() != want {
			t.Errorf("%q: %v %v, want %s", in, p, err, want)
		}
	}
	if postcode.MustParse("ST13 5BQ").Outward() != "ST13" {
		t.Fatal("outward code")
	}
}

func TestParse_rejects_what_is_not_a_postcode(t *testing.T) {
	for _, in := range []string{"", "ST13", "13 5BQ", "ST13 BQ5", "STT13 5BQ", "ST13 5B"} {
		if _, err := postcode.Parse(in); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}
