package app

import (
	"context"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// RecordNoCriteriaToResideInput records that an admitted patient no longer
// meets the criteria to reside.
type RecordNoCriteriaToResideInput struct {
	CommandID   string             `json:"-"`
	StayID      string             `json:"stayId"`
	DelayReason domain.DelayReason `json:"delayReason"`
	// Since is when the patient stopped meeting the criteria (default: the
	// time already recorded, or now).
	Since string `json:"since"`
}

// RecordNoCriteriaToReside marks a delayed discharge, or changes its reason.
func (c *Commands) RecordNoCriteriaToReside(ctx context.Context, in RecordNoCriteriaToResideInput) (readmodel.Stay, error) {
	v, err := auth.RequireRole(ctx, auth.BedManager)
	if err != nil {
		return readmodel.Stay{}, err
	}
	var since time.Time
	if in.Since != "" {
		if since, err = c.businessTime("since", in.Since); err != nil {
			return readmodel.Stay{}, err
		}
	}
	key, view, err := c.placementKeyOf(in.StayID)
	if err != nil {
		return readmodel.Stay{}, err
	}
	r := c.start(ctx, v, in.CommandID)
	r.locality = view.Locality
	now := c.now()
	if _, err := exec(r, c.placements, key, "", func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
		at := since
		if at.IsZero() {
			at = now
			if s, ok := p.Open(); ok && s.ID == in.StayID && s.NCTR != nil {
				at = s.NCTR.Since
			}
		}
		return p.RecordNoCriteriaToReside(in.StayID, at, in.DelayReason)
	}); err != nil {
		return readmodel.Stay{}, err
	}
	return r.stayView(in.StayID)
}
