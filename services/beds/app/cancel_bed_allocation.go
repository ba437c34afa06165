package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// CancelBedAllocationInput gives up a reserved bed before the patient
// arrives (they went to an acute hospital, died, or the need passed).
type CancelBedAllocationInput struct {
	CommandID string `json:"-"`
	StayID    string `json:"stayId"`
	// Reason is operational ("conveyed to ED instead"), kept on the request.
	Reason string `json:"reason"`
}

// CancelBedAllocation releases the bed, ends the stay and returns the
// request to the list of those waiting: the release order, bed first. Once
// the patient has arrived it is refused: discharge them instead.
func (c *Commands) CancelBedAllocation(ctx context.Context, in CancelBedAllocationInput) (readmodel.Stay, error) {
	v, err := auth.RequireRole(ctx, auth.BedManager)
	if err != nil {
		return readmodel.Stay{}, err
	}
	if _, err := domain.CancelReason(in.Reason); err != nil {
		return readmodel.Stay{}, err
	}
	key, view, err := c.placementKeyOf(in.StayID)
	if err != nil {
		return readmodel.Stay{}, err
	}
	r := c.start(ctx, v, in.CommandID)
	r.locality = view.Locality
	if _, done, err := probe(r, c.requests, view.RequestID, "request"); err != nil || done {
		return r.orStay(in.StayID, err)
	}
	p, _, err := c.placements.Load(ctx, key)
	if err != nil {
		return readmodel.Stay{}, err
	}
	if s, ok := p.Open(); ok && s.ID == in.StayID && s.Phase == domain.PhaseClaimed {
		if err := r.settle(key); err != nil {
			return readmodel.Stay{}, err
		}
		if p, _, err = c.placements.Load(ctx, key); err != nil {
			return readmodel.Stay{}, err
		}
	}
	if err := p.CheckAdmit(in.StayID); err != nil {
		if e, ok := errs.As(err); ok && e.Slug == "stay-admitted" {
			return readmodel.Stay{}, errs.IllegalStep("cancel the allocation", "admitted: discharge the patient instead", "stay-admitted")
		}
		return readmodel.Stay{}, err
	}
	s, _ := p.Open()
	defer r.detach()()
	if err := r.undoAllocation(key, s, "cancelled"); err != nil {
		return readmodel.Stay{}, err
	}
	if _, err := exec(r, c.requests, s.RequestID, "request", func(q *domain.BedRequest, _ bool) ([]aggregate.Event, error) {
		return q.CancelAllocation(s.ID, in.Reason, v.Subject, c.now())
	}); err != nil {
		return readmodel.Stay{}, err
	}
	return r.stayView(s.ID)
}
