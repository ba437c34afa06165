package locality_test

import (
	"testing"

	"carecoord/pkg/errs"
	"carecoord/pkg/locality"
)

func TestDefault_has_the_23_localities_with_practices(t *testing.T) {
	r := locality.Default()
	all := r.All()
	if len(all) != 23 {
		t.Fatalf("%d localities, want 23", len(all))
	}
	if !r.Demo {
		t.Fatal("the built-in data is demo data and must say so")
	}
	leek, ok := r.Get("leek")
	if !ok || leek.Name != "Leek" || len(leek.Practices) < 3 || !leek.EarlyAdopter {
		t.Fatalf("leek: %+v", leek)
	}
	for _, l := range all {
		for _, p := range l.Practices {
			got, err := r.LocalityOfPractice("practice", p.Code)
			if err != nil || got != l.ID {
				t.Fatalf("practice %s maps to %s, want %s", p.Code, got, l.ID)
			}
		}
	}
}

func TestLocalityOfPractice_unknown_practice_is_bad_input(t *testing.T) {
	_, err := locality.Default().LocalityOfPractice("patient.gpPractice", "X99999")
	e, ok := errs.As(err)
	if !ok || e.Kind != errs.KindInvalidInput || e.Field != "patient.gpPractice" {
		t.Fatalf("got %v", err)
	}
}

func TestParse_rejects_a_practice_in_two_localities(t *testing.T) {
	_, err := locality.Parse([]byte(`{"localities":[
		{"id":"a","name":"A","practices":[{"code":"Z00001","name":"P"}]},
		{"id":"b","name":"B","practices":[{"code":"Z00001","name":"P"}]}]}`))
	if err == nil {
		t.Fatal("accepted a practice in two localities")
	}
}
