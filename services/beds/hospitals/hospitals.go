// Package hospitals is the reference data of the beds service: the community
// hospitals of Staffordshire and Stoke-on-Trent, their wards and their beds.
// The built-in data (data/hospitals.json) names the six hospitals of
// DOMAIN.md with their published site codes; ward names and capacities in it
// are demo figures, marked so, and a deployment replaces the file with the
// trust's own (Load).
//
// Beds are reference data, not events: a bed exists because the estate says
// so, and its stream (bed-<id>) records only what happens to it. A bed whose
// stream is empty is available.
//
// It imports only pkg/errs and the standard library.
package hospitals

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"regexp"

	"carecoord/pkg/errs"
)

// Hospital is a community hospital.
type Hospital struct {
	ID   string
	Name string
	Town string
	// SiteCode is the ODS site code where it is known ("RJF04"), else "".
	SiteCode string
	// Locality is the locality (pkg/locality ID) the hospital stands in.
	Locality string
	// CapacityIsDemo marks ward names and bed counts that are demo figures.
	CapacityIsDemo bool
	Wards          []Ward
}

// Ward is a ward of a hospital.
type Ward struct {
	ID         string
	Name       string
	HospitalID string
	Beds       []Bed
}

// Bed is one bed of a ward.
type Bed struct {
	ID         string
	Label      string
	WardID     string
	HospitalID string
	// SideRoom beds can take patients who need isolation.
	SideRoom bool
}

// Location is where a bed is.
type Location struct {
	HospitalID string `json:"hospitalId"`
	WardID     string `json:"wardId"`
	BedID      string `json:"bedId"`
}

// Registry answers questions about the reference data. It is immutable.
type Registry struct {
	// Demo is true when the data says its figures are demo figures.
	Demo      bool
	hospitals []Hospital
	byID      map[string]*Hospital
	wards     map[string]*Ward
	beds      map[string]*Bed
	bedOrder  []string
}

//go:embed data/hospitals.json
var defaultData []byte

// Default returns the built-in registry.
func Default() *Registry {
	r, err := Parse(defaultData)
	if err != nil {
		panic(fmt.Sprintf("hospitals: built-in data is invalid: %v", err))
	}
	return r
}

// Load reads a registry from a JSON file shaped like the built-in data.
func Load(path string) (*Registry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

type document struct {
	Demo      bool `json:"demo"`
	Hospitals []struct {
		ID             string `json:"id"`
		Name           string `json:"name"`
		Town           string `json:"town"`
		SiteCode       string `json:"siteCode"`
		Locality       string `json:"locality"`
		CapacityIsDemo bool   `json:"capacityIsDemo"`
		Wards          []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			// Beds is the number of beds; they are labelled "Bed 01"...
			Beds int `json:"beds"`
			// SideRooms is how many of them (the first ones) are side rooms.
			SideRooms int `json:"sideRooms"`
		} `json:"wards"`
	} `json:"hospitals"`
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	sitePattern = regexp.MustCompile(`^[A-Z0-9]{3}[A-Z0-9]{2}$`)
)

// Parse validates reference data: unique IDs (lower-case, dashes), at least
// one ward per hospital and one bed per ward, site codes in the ODS shape.
func Parse(b []byte) (*Registry, error) {
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("hospital data: %w", err)
	}
	if len(doc.Hospitals) == 0 {
		return nil, fmt.Errorf("hospital data: no hospitals")
	}
	r := &Registry{Demo: doc.Demo, byID: map[string]*Hospital{}, wards: map[string]*Ward{}, beds: map[string]*Bed{}}
	seen := map[string]string{}
	claim := func(id, what string) error {
		if !idPattern.MatchString(id) {
			return fmt.Errorf("hospital data: %s id %q must be lower-case letters, digits and dashes", what, id)
		}
		if other, dup := seen[id]; dup {
			return fmt.Errorf("hospital data: id %q used by a %s and a %s", id, other, what)
		}
		seen[id] = what
		return nil
	}
	for _, h := range doc.Hospitals {
		if err := claim(h.ID, "hospital"); err != nil {
			return nil, err
		}
		if h.Name == "" || h.Locality == "" {
			return nil, fmt.Errorf("hospital data: hospital %q needs a name and a locality", h.ID)
		}
		if h.SiteCode != "" && !sitePattern.MatchString(h.SiteCode) {
			return nil, fmt.Errorf("hospital data: hospital %q site code %q is not an ODS site code", h.ID, h.SiteCode)
		}
		if len(h.Wards) == 0 {
			return nil, fmt.Errorf("hospital data: hospital %q has no wards", h.ID)
		}
		hosp := Hospital{ID: h.ID, Name: h.Name, Town: h.Town, SiteCode: h.SiteCode, Locality: h.Locality, CapacityIsDemo: h.CapacityIsDemo}
		for _, w := range h.Wards {
			if err := claim(w.ID, "ward"); err != nil {
				return nil, err
			}
			if w.Name == "" || w.Beds < 1 || w.Beds > 99 || w.SideRooms < 0 || w.SideRooms > w.Beds {
				return nil, fmt.Errorf("hospital data: ward %q needs a name and 1-99 beds, side rooms among them", w.ID)
			}
			ward := Ward{ID: w.ID, Name: w.Name, HospitalID: h.ID}
			for i := 1; i <= w.Beds; i++ {
				id := fmt.Sprintf("%s-%02d", w.ID, i)
				if err := claim(id, "bed"); err != nil {
					return nil, err
				}
				ward.Beds = append(ward.Beds, Bed{ID: id, Label: fmt.Sprintf("Bed %02d", i), WardID: w.ID, HospitalID: h.ID, SideRoom: i <= w.SideRooms})
			}
			hosp.Wards = append(hosp.Wards, ward)
		}
		r.hospitals = append(r.hospitals, hosp)
	}
	for i := range r.hospitals {
		h := &r.hospitals[i]
		r.byID[h.ID] = h
		for j := range h.Wards {
			w := &h.Wards[j]
			r.wards[w.ID] = w
			for k := range w.Beds {
				b := &w.Beds[k]
				r.beds[b.ID] = b
				r.bedOrder = append(r.bedOrder, b.ID)
			}
		}
	}
	return r, nil
}

// Hospitals returns the hospitals in the data's order.
func (r *Registry) Hospitals() []Hospital { return append([]Hospital(nil), r.hospitals...) }

// Hospital returns a hospital by ID.
func (r *Registry) Hospital(id string) (Hospital, bool) {
	h, ok := r.byID[id]
	if !ok {
		return Hospital{}, false
	}
	return *h, true
}

// Ward returns a ward by ID.
func (r *Registry) Ward(id string) (Ward, bool) {
	w, ok := r.wards[id]
	if !ok {
		return Ward{}, false
	}
	return *w, true
}

// Bed returns a bed by ID.
func (r *Registry) Bed(id string) (Bed, bool) {
	b, ok := r.beds[id]
	if !ok {
		return Bed{}, false
	}
	return *b, true
}

// BedIDs lists every bed, hospital by hospital, ward by ward.
func (r *Registry) BedIDs() []string { return append([]string(nil), r.bedOrder...) }

// Locate validates a bed ID from input and returns where the bed is.
func (r *Registry) Locate(field, bedID string) (Location, error) {
	b, ok := r.beds[bedID]
	if !ok {
		return Location{}, errs.Invalid(field, "is not a bed of a community hospital", "bed-unknown")
	}
	return Location{HospitalID: b.HospitalID, WardID: b.WardID, BedID: b.ID}, nil
}

// MustHospital validates a hospital ID from input.
func (r *Registry) MustHospital(field, id string) (Hospital, error) {
	h, ok := r.byID[id]
	if !ok {
		return Hospital{}, errs.Invalid(field, "is not a community hospital", "hospital-unknown")
	}
	return *h, nil
}
