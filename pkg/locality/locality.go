// Package locality is the reference data of the 23 localities of
// Staffordshire and Stoke-on-Trent, each with its integrated care team and
// the GP practices that belong to it. A patient's locality follows from their
// registered practice, never from their postcode.
//
// The default data (data/localities.json) is demo data; a deployment replaces
// it with its own file.
//
// It imports only pkg/errs.
package locality

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"

	"carecoord/pkg/errs"
)

// ID identifies a locality ("leek").
type ID string

// Locality is one ICT's patch.
type Locality struct {
	ID           ID         `json:"id"`
	Name         string     `json:"name"`
	ICT          string     `json:"ict"`
	Council      string     `json:"council"`
	EarlyAdopter bool       `json:"earlyAdopter"`
	Practices    []Practice `json:"practices"`
}

// Practice is a GP practice, identified by its ODS code.
type Practice struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	PostcodeArea string `json:"postcodeArea"`
	Locality     ID     `json:"-"`
}

// Registry answers questions about the reference data. It is immutable.
type Registry struct {
	list       []Locality
	byID       map[ID]*Locality
	byPractice map[string]*Practice
	Demo       bool
}

//go:embed data/localities.json
var defaultData []byte

// Default returns the built-in (demo) registry.
func Default() *Registry {
	r, err := Parse(defaultData)
	if err != nil {
		panic(fmt.Sprintf("locality: built-in data is invalid: %v", err))
	}
	return r
}

// Load reads a registry from a JSON file of the same shape as the built-in
// data.
func Load(path string) (*Registry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

var odsPractice = regexp.MustCompile(`^[A-Z][0-9]{5}$`)

// Parse validates reference data: unique locality IDs, practice codes in the
// ODS shape, each practice in one locality only.
func Parse(b []byte) (*Registry, error) {
	var doc struct {
		Demo       bool       `json:"demo"`
		Localities []Locality `json:"localities"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("locality data: %w", err)
	}
	if len(doc.Localities) == 0 {
		return nil, fmt.Errorf("locality data: no localities")
	}
	r := &Registry{list: doc.Localities, byID: map[ID]*Locality{}, byPractice: map[string]*Practice{}, Demo: doc.Demo}
	for i := range r.list {
		l := &r.list[i]
		if l.ID == "" || l.Name == "" {
			return nil, fmt.Errorf("locality data: locality %d has no id or name", i)
		}
		if _, dup := r.byID[l.ID]; dup {
			return nil, fmt.Errorf("locality data: locality %q twice", l.ID)
		}
		r.byID[l.ID] = l
		for j := range l.Practices {
			p := &l.Practices[j]
			p.Locality = l.ID
			if !odsPractice.MatchString(p.Code) {
				return nil, fmt.Errorf("locality data: practice code %q is not an ODS practice code", p.Code)
			}
			if other, dup := r.byPractice[p.Code]; dup {
				return nil, fmt.Errorf("locality data: practice %s in both %s and %s", p.Code, other.Locality, l.ID)
			}
			r.byPractice[p.Code] = p
		}
	}
	return r, nil
}

// All returns the localities in name order.
func (r *Registry) All() []Locality {
	out := append([]Locality(nil), r.list...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns a locality by ID.
func (r *Registry) Get(id ID) (Locality, bool) {
	l, ok := r.byID[id]
	if !ok {
		return Locality{}, false
	}
	return *l, true
}

// Must validates a locality ID from input.
func (r *Registry) Must(field string, id string) (ID, error) {
	if _, ok := r.byID[ID(id)]; !ok {
		return "", errs.Invalid(field, "is not a known locality", "locality-unknown")
	}
	return ID(id), nil
}

// Practice returns a GP practice by ODS code.
func (r *Registry) Practice(code string) (Practice, bool) {
	p, ok := r.byPractice[code]
	if !ok {
		return Practice{}, false
	}
	return *p, true
}

// LocalityOfPractice is the locality a patient registered at the practice
// belongs to: a typed invalid-input error when the practice is unknown.
func (r *Registry) LocalityOfPractice(field, code string) (ID, error) {
	p, ok := r.byPractice[code]
	if !ok {
		return "", errs.Invalid(field, "is not a GP practice of Staffordshire and Stoke-on-Trent", "practice-unknown")
	}
	return p.Locality, nil
}
