// Package demo makes synthetic people for demo data and tests. Every person is
// made up: NHS numbers come from the 999 range that NHS test systems use, and
// names are drawn from short common lists. The same seed always gives the same
// people, so the four services' demo data can share patients and the joined-up
// views have something to join.
//
// It imports pkg/nhsnumber, pkg/postcode and pkg/locality.
package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"carecoord/pkg/locality"
	"carecoord/pkg/nhsnumber"
	"carecoord/pkg/postcode"
)

// Person is a synthetic patient.
type Person struct {
	NHSNumber   nhsnumber.Number
	GivenName   string
	FamilyName  string
	DateOfBirth time.Time
	Postcode    postcode.Postcode
	Practice    string // ODS code of the registered GP practice
	Locality    locality.ID
}

// Name is "Given Family".
func (p Person) Name() string { return p.GivenName + " " + p.FamilyName }

var given = []string{"Margaret", "Jean", "Joan", "Dorothy", "Brenda", "Patricia", "Barbara", "Sheila", "Irene", "Maureen",
	"John", "David", "Michael", "Peter", "Alan", "Brian", "Keith", "Ronald", "Colin", "Derek", "Eileen", "Pauline", "Kenneth", "Frank"}
var family = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
	"Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Bennett", "Hughes", "Plant", "Bagnall"}

// People makes n synthetic people spread over the localities of reg.
type People struct {
	rng  *rand.Rand
	reg  *locality.Registry
	next uint32
	now  time.Time
}

// NewPeople returns a generator seeded with seed; now anchors ages.
func NewPeople(seed uint64, reg *locality.Registry, now time.Time) *People {
	return &People{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), reg: reg, now: now}
}

// In makes a person registered at a practice of the given locality.
func (g *People) In(id locality.ID) Person {
	l, ok := g.reg.Get(id)
	if !ok || len(l.Practices) == 0 {
		panic(fmt.Sprintf("demo: no practices in locality %q", id))
	}
	pr := l.Practices[g.rng.IntN(len(l.Practices))]
	age := 65 + g.rng.IntN(35) // community services are mostly for older people
	dob := g.now.AddDate(-age, -g.rng.IntN(12), -g.rng.IntN(28))
	area := pr.PostcodeArea
	if area == "" {
		area = "ST1"
	}
	inward := fmt.Sprintf("%d%c%c", g.rng.IntN(10), 'A'+rune(g.rng.IntN(26)), 'A'+rune(g.rng.IntN(26)))
	inward = fixInward(inward)
	return Person{
		NHSNumber:   g.nhsNumber(),
		GivenName:   given[g.rng.IntN(len(given))],
		FamilyName:  family[g.rng.IntN(len(family))],
		DateOfBirth: time.Date(dob.Year(), dob.Month(), dob.Day(), 0, 0, 0, 0, time.UTC),
		Postcode:    postcode.MustParse(area + " " + inward),
		Practice:    pr.Code,
		Locality:    id,
	}
}

// Any makes a person in a random locality.
func (g *People) Any() Person {
	all := g.reg.All()
	return g.In(all[g.rng.IntN(len(all))].ID)
}

// Rand exposes the generator's randomness for callers that pick states.
func (g *People) Rand() *rand.Rand { return g.rng }

// nhsNumber walks the 999 test range, skipping prefixes with no check digit.
func (g *People) nhsNumber() nhsnumber.Number {
	for {
		g.next++
		nine := fmt.Sprintf("999%06d", g.next%1_000_000)
		if c := nhsnumber.CheckDigit(nine); c >= 0 {
			return nhsnumber.MustParse(fmt.Sprintf("%s%d", nine, c))
		}
	}
}

// fixInward keeps to letters used in inward codes (C, I, K, M, O, V are not).
func fixInward(s string) string {
	b := []byte(s)
	for i := 1; i < 3; i++ {
		switch b[i] {
		case 'C', 'I', 'K', 'M', 'O', 'V':
			b[i] = 'A' + (b[i]-'A'+1)%26
			if b[i] == 'C' || b[i] == 'I' || b[i] == 'K' || b[i] == 'M' || b[i] == 'O' || b[i] == 'V' {
				b[i] = 'B'
			}
		}
	}
	return string(b)
}
