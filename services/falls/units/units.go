// Package units is the reference data of falls responder units: each unit's
// ID, call sign, base locality and level (1: lifting responder; 2: clinical
// Urgent Community Response). The built-in data (data/units.json) is demo
// data; a deployment replaces it with its own file of the same shape.
//
// It imports the falls domain (for Unit and Level) and pkg/locality (to check
// base localities).
package units

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"carecoord/pkg/locality"
	"carecoord/services/falls/domain"
)

// Registry is the set of units. It is immutable.
type Registry struct {
	list []domain.Unit
	byID map[string]domain.Unit
	// Demo is true for made-up data.
	Demo bool
}

//go:embed data/units.json
var defaultData []byte

// Default returns the built-in (demo) units, checked against reg.
func Default(reg *locality.Registry) *Registry {
	r, err := Parse(defaultData, reg)
	if err != nil {
		panic(fmt.Sprintf("units: built-in data is invalid: %v", err))
	}
	return r
}

// Load reads units from a JSON file.
func Load(path string, reg *locality.Registry) (*Registry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b, reg)
}

// unitID keeps IDs usable in stream names and URLs.
var unitID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// Parse validates unit data: unique IDs and call signs, known base
// localities, a level for each.
func Parse(b []byte, reg *locality.Registry) (*Registry, error) {
	var doc struct {
		Demo  bool `json:"demo"`
		Units []struct {
			ID           string `json:"id"`
			CallSign     string `json:"callSign"`
			BaseLocality string `json:"baseLocality"`
			Level        string `json:"level"`
		} `json:"units"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("units data: %w", err)
	}
	if len(doc.Units) == 0 {
		return nil, fmt.Errorf("units data: no units")
	}
	r := &Registry{byID: map[string]domain.Unit{}, Demo: doc.Demo}
	signs := map[string]bool{}
	for i, u := range doc.Units {
		if !unitID.MatchString(u.ID) {
			return nil, fmt.Errorf("units data: unit %d: id %q must be lower-case letters, digits and dashes", i, u.ID)
		}
		if _, dup := r.byID[u.ID]; dup {
			return nil, fmt.Errorf("units data: unit %q twice", u.ID)
		}
		sign := strings.TrimSpace(u.CallSign)
		if sign == "" || signs[sign] {
			return nil, fmt.Errorf("units data: unit %q: call sign missing or used twice", u.ID)
		}
		signs[sign] = true
		if _, ok := reg.Get(locality.ID(u.BaseLocality)); !ok {
			return nil, fmt.Errorf("units data: unit %q: base locality %q is not a locality", u.ID, u.BaseLocality)
		}
		lvl, err := domain.ParseLevel("level", u.Level)
		if err != nil {
			return nil, fmt.Errorf("units data: unit %q: level %q is not LEVEL_1 or LEVEL_2", u.ID, u.Level)
		}
		unit := domain.Unit{ID: u.ID, CallSign: sign, BaseLocality: u.BaseLocality, Level: lvl}
		r.byID[u.ID] = unit
		r.list = append(r.list, unit)
	}
	sort.Slice(r.list, func(i, j int) bool { return r.list[i].CallSign < r.list[j].CallSign })
	return r, nil
}

// All returns the units in call-sign order.
func (r *Registry) All() []domain.Unit { return append([]domain.Unit(nil), r.list...) }

// Get returns a unit by ID.
func (r *Registry) Get(id string) (domain.Unit, bool) {
	u, ok := r.byID[id]
	return u, ok
}
