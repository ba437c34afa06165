package hospitals_test

import (
	"strings"
	"testing"

	"carecoord/pkg/errs"
	"carecoord/pkg/locality"

	"carecoord/services/beds/hospitals"
)

func TestDefault_is_the_six_community_hospitals_with_their_known_site_codes(t *testing.T) {
	reg := hospitals.Default()
	hs := reg.Hospitals()
	if len(hs) != 6 || !reg.Demo {
		t.Fatalf("%d hospitals, demo %v", len(hs), reg.Demo)
	}
	sites := map[string]string{}
	for _, h := range hs {
		sites[h.Name] = h.SiteCode
		if _, ok := locality.Default().Get(locality.ID(h.Locality)); !ok {
			t.Errorf("%s is in unknown locality %q", h.Name, h.Locality)
		}
		if !h.CapacityIsDemo {
			t.Errorf("%s capacity is not marked as demo figures", h.Name)
		}
	}
	if sites["Samuel Johnson Community Hospital"] != "RJF04" || sites["Sir Robert Peel Community Hospital"] != "RJF05" {
		t.Fatalf("site codes %v", sites)
	}
	if n := len(reg.BedIDs()); n < 200 || n > 400 {
		t.Fatalf("%d beds: want a few hundred", n)
	}
}

func TestParse_rejects_inconsistent_data(t *testing.T) {
	for name, doc := range map[string]string{
		"no hospitals":     `{"hospitals": []}`,
		"duplicate ward":   `{"hospitals": [{"id": "a", "name": "A", "locality": "leek", "wards": [{"id": "w", "name": "W", "beds": 2}, {"id": "w", "name": "W2", "beds": 2}]}]}`,
		"bad site code":    `{"hospitals": [{"id": "a", "name": "A", "locality": "leek", "siteCode": "rjf4", "wards": [{"id": "w", "name": "W", "beds": 2}]}]}`,
		"ward with no bed": `{"hospitals": [{"id": "a", "name": "A", "locality": "leek", "wards": [{"id": "w", "name": "W", "beds": 0}]}]}`,
		"upper-case id":    `{"hospitals": [{"id": "A", "name": "A", "locality": "leek", "wards": [{"id": "w", "name": "W", "beds": 1}]}]}`,
	} {
		if _, err := hospitals.Parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLocate_names_the_field_of_an_unknown_bed(t *testing.T) {
	reg := hospitals.Default()
	loc, err := reg.Locate("bedId", "cheadle-w1-03")
	if err != nil || loc.HospitalID != "cheadle" || loc.WardID != "cheadle-w1" {
		t.Fatalf("%+v %v", loc, err)
	}
	_, err = reg.Locate("toBedId", "cheadle-w9-99")
	if e, ok := errs.As(err); !ok || e.Field != "toBedId" || !strings.Contains(e.Msg, "not a bed") {
		t.Fatalf("%v", err)
	}
}
