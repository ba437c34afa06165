package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// AdmitPatientInput records a reserved stay's patient arriving.
type AdmitPatientInput struct {
	CommandID string `json:"-"`
	StayID    string `json:"stayId"`
	// AdmittedAt is when the patient arrived (default now).
	AdmittedAt string `json:"admittedAt"`
}

// AdmitPatient puts the patient in their reserved bed, then records the
// admission on the stay (which publishes beds.PatientAdmitted.v1): the bed
// first, so that the published event always describes a bed that is
// occupied.
func (c *Commands) AdmitPatient(ctx context.Context, in AdmitPatientInput) (readmodel.Stay, error) {
	v, err := auth.RequireRole(ctx, auth.BedManager)
	if err != nil {
		return readmodel.Stay{}, err
	}
	at, err := c.businessTime("admittedAt", in.AdmittedAt)
	if err != nil {
		return readmodel.Stay{}, err
	}
	key, view, err := c.placementKeyOf(in.StayID)
	if err != nil {
		return readmodel.Stay{}, err
	}
	r := c.start(ctx, v, in.CommandID)
	r.locality = view.Locality
	p, done, err := probe(r, c.placements, key, "admit")
	if err != nil || done {
		return r.orStay(in.StayID, err)
	}
	if s, ok := p.Open(); ok && s.ID == in.StayID && s.Phase == domain.PhaseClaimed {
		// Its allocation has not finished: settle it first.
		if err := r.settle(key); err != nil {
			return readmodel.Stay{}, err
		}
		if p, _, err = c.placements.Load(ctx, key); err != nil {
			return readmodel.Stay{}, err
		}
	}
	if err := p.CheckAdmit(in.StayID); err != nil {
		return readmodel.Stay{}, err
	}
	s, _ := p.Open()
	defer r.detach()()
	if _, err := exec(r, c.beds, s.Bed.BedID, "occupy", func(b *domain.Bed, _ bool) ([]aggregate.Event, error) {
		return b.Occupy(s.ID, domain.OccupiedOnAdmission, at)
	}); err != nil {
		return readmodel.Stay{}, err
	}
	if _, err := exec(r, c.placements, key, "admit", func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
		return p.Admit(s.ID, at)
	}); err != nil {
		return readmodel.Stay{}, err
	}
	return r.stayView(s.ID)
}

// orStay answers a probe: its error, or the stay's view.
func (r *run) orStay(stayID string, err error) (readmodel.Stay, error) {
	if err != nil {
		return readmodel.Stay{}, err
	}
	return r.stayView(stayID)
}
