package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// TransferPatientInput moves an admitted patient to another bed, ward or
// hospital.
type TransferPatientInput struct {
	CommandID string                `json:"-"`
	StayID    string                `json:"stayId"`
	ToBedID   string                `json:"toBedId"`
	Reason    domain.TransferReason `json:"reason"`
	// TransferredAt is when the patient moved (default now).
	TransferredAt string `json:"transferredAt"`
}

// TransferPatient moves a patient (the bed managers' "reallocation"). It
// acquires like an allocation (the stay claims the new bed, then the bed is
// reserved against the revision seen) and then releases the old bed before
// occupying the new one, so the patient is never in two beds:
//
//	claim new bed → reserve new bed → vacate old bed → occupy new bed → record the move
func (c *Commands) TransferPatient(ctx context.Context, in TransferPatientInput) (readmodel.Stay, error) {
	v, err := auth.RequireRole(ctx, auth.BedManager)
	if err != nil {
		return readmodel.Stay{}, err
	}
	to, err := c.hospitals.Locate("toBedId", in.ToBedID)
	if err != nil {
		return readmodel.Stay{}, err
	}
	at, err := c.businessTime("transferredAt", in.TransferredAt)
	if err != nil {
		return readmodel.Stay{}, err
	}
	key, view, err := c.placementKeyOf(in.StayID)
	if err != nil {
		return readmodel.Stay{}, err
	}
	r := c.start(ctx, v, in.CommandID)
	r.locality = view.Locality
	p, done, err := probe(r, c.placements, key, "complete")
	if err != nil || done {
		return r.orStay(in.StayID, err)
	}
	if s, ok := p.Open(); ok && s.ID == in.StayID && s.Transfer != nil {
		// A transfer is pending (this command's, interrupted, or another's).
		if err := r.settle(key); err != nil {
			return readmodel.Stay{}, err
		}
		if p, _, err = c.placements.Load(ctx, key); err != nil {
			return readmodel.Stay{}, err
		}
	}
	bed, _, err := c.beds.Load(ctx, to.BedID)
	if err != nil {
		return readmodel.Stay{}, err
	}
	if s, ok := p.Open(); ok && s.ID == in.StayID && s.Bed.BedID == to.BedID {
		return readmodel.Stay{}, errs.Invalid("toBedId", "is the bed the patient is already in", "same-bed")
	}
	if err := bed.CheckReservable(); err != nil {
		return readmodel.Stay{}, err
	}
	res, err := exec(r, c.placements, key, "claim", func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
		return p.StartTransfer(in.StayID, to, in.Reason, bed.Version(), at, c.now())
	})
	if err != nil {
		return readmodel.Stay{}, err
	}
	s, _ := res.State.Open()
	if s.Transfer == nil || s.Transfer.To.BedID != to.BedID {
		return readmodel.Stay{}, errs.Conflict("the stay changed while the transfer was starting: reload and try again", "concurrent-change")
	}
	defer r.detach()()
	_, err = exec(r, c.beds, to.BedID, "reserve", func(b *domain.Bed, _ bool) ([]aggregate.Event, error) {
		return b.Reserve(domain.Reservation{StayID: s.ID, RequestID: s.RequestID, NHSNumber: s.Patient.NHSNumber, Locality: s.Locality, ForTransfer: true}, s.Transfer.BedRevision, c.now())
	})
	if err != nil {
		if definite(err) {
			if _, ferr := exec(r, c.placements, key, "fail", func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
				return p.FailTransfer(s.ID, to.BedID, s.Transfer.BedRevision, slugOf(err))
			}); ferr != nil {
				return readmodel.Stay{}, ferr
			}
			r.wait()
		}
		return readmodel.Stay{}, err
	}
	if err := r.finishTransfer(key, s, to, s.Transfer.StartedAt); err != nil {
		return readmodel.Stay{}, err
	}
	return r.stayView(s.ID)
}
