package demo_test

import (
	"strings"
	"testing"
	"time"

	"carecoord/pkg/demo"
	"carecoord/pkg/locality"
)

func TestPeople_are_synthetic_valid_and_repeatable(t *testing.T) {
	reg := locality.Default()
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	a, b := demo.NewPeople(7, reg, now), demo.NewPeople(7, reg, now)
	seen := map[string]bool{}
	for i := 0; i < 500; i++ {
		p, q := a.In("leek"), b.In("leek")
		if p != q {
			t.Fatal("the same seed made different people")
		}
		if !strings.HasPrefix(p.NHSNumber.String(), "999") {
			t.Fatalf("NHS number %s is outside the test range", p.NHSNumber)
		}
		if seen[p.NHSNumber.String()] {
			t.Fatalf("NHS number repeated after %d people", i)
		}
		seen[p.NHSNumber.String()] = true
		if loc, err := reg.LocalityOfPractice("p", p.Practice); err != nil || loc != "leek" {
			t.Fatalf("practice %s is not in Leek", p.Practice)
		}
		if age := now.Year() - p.DateOfBirth.Year(); age < 65 || age > 101 {
			t.Fatalf("age %d", age)
		}
	}
}
