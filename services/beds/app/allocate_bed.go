package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// AllocateBedInput allocates a bed to an accepted request.
type AllocateBedInput struct {
	CommandID    string `json:"-"`
	BedRequestID string `json:"bedRequestId"`
	BedID        string `json:"bedId"`
	// AllocatedAt is when the bed was allocated (default now): set it when
	// recording an allocation after the fact.
	AllocatedAt string `json:"allocatedAt"`
}

// AllocateBed reserves a bed for an accepted request's patient and opens
// their stay. The acquire order is the patient, then the bed:
//
//  1. the patient's placement claims the bed (refused if the patient already
//     has a bed: one bed per patient), fenced at the bed's revision as seen;
//  2. the bed is reserved for the stay, expecting that revision (refused if
//     anyone touched the bed since: of two managers allocating one bed at
//     once, one wins and the other gets CONFLICT or the bed's new state);
//  3. the placement confirms the bed; the request is marked allocated.
//
// If step 2 fails, step 1 is undone (the stay ends, never begun). Repeating
// the command with the same commandId resumes it or returns its result.
func (c *Commands) AllocateBed(ctx context.Context, in AllocateBedInput) (readmodel.Stay, error) {
	v, err := auth.RequireRole(ctx, auth.BedManager)
	if err != nil {
		return readmodel.Stay{}, err
	}
	loc, err := c.hospitals.Locate("bedId", in.BedID)
	if err != nil {
		return readmodel.Stay{}, err
	}
	at, err := c.businessTime("allocatedAt", in.AllocatedAt)
	if err != nil {
		return readmodel.Stay{}, err
	}
	r := c.start(ctx, v, in.CommandID)
	req, version, err := c.requests.Load(ctx, in.BedRequestID)
	if err != nil {
		return readmodel.Stay{}, err
	}
	if version < 0 {
		return readmodel.Stay{}, errs.NotFound("there is no such bed request", "request-not-found")
	}
	r.locality = req.Locality()
	// The stay is named by the request and the command, so that a commandId
	// reused by mistake for another request cannot alias two stays.
	stayID := aggregate.DeterministicID("stay", in.BedRequestID+"\x00"+r.id)
	key := domain.PatientKey(req.Patient().NHSNumber)

	p, _, err := c.placements.Load(ctx, key)
	if err != nil {
		return readmodel.Stay{}, err
	}
	if ended := p.Ended(stayID); ended != "" {
		// A repeat of a command that already ran to its end.
		if ended == domain.StayEndedDischarged {
			return r.stayView(stayID)
		}
		return readmodel.Stay{}, errs.Conflict("this allocation did not complete ("+ended+"): choose a bed again with a new commandId", ended)
	}
	s, open := p.Open()
	if !open || s.ID != stayID {
		// A new allocation: check before writing anything.
		if err := req.CheckAllocatable(); err != nil {
			return readmodel.Stay{}, err
		}
		claim := func() (aggregate.Result[*domain.Placement], error) {
			bed, _, err := c.beds.Load(ctx, loc.BedID)
			if err != nil {
				return aggregate.Result[*domain.Placement]{}, err
			}
			if err := bed.CheckReservable(); err != nil {
				return aggregate.Result[*domain.Placement]{}, err
			}
			stay := domain.NewStay{StayID: stayID, RequestID: in.BedRequestID, Patient: req.Patient(), Locality: req.Locality(), Bed: loc, BedRevision: bed.Version()}
			return exec(r, c.placements, key, "claim", func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
				return p.Allocate(stay, at, c.now())
			})
		}
		res, err := claim()
		if e, ok := errs.As(err); ok && e.Slug == domain.SlugAllocationInProgress {
			// Another claim is pending: settle it (finish or end it), then
			// try once more, against the bed as it is after settling.
			if err := r.settle(key); err != nil {
				return readmodel.Stay{}, err
			}
			res, err = claim()
		}
		if err != nil {
			return readmodel.Stay{}, err
		}
		s, _ = res.State.Open()
	}
	defer r.detach()()

	if s.Phase == domain.PhaseClaimed {
		_, err := exec(r, c.beds, s.Bed.BedID, "reserve", func(b *domain.Bed, _ bool) ([]aggregate.Event, error) {
			return b.Reserve(domain.Reservation{StayID: s.ID, RequestID: s.RequestID, NHSNumber: s.Patient.NHSNumber, Locality: s.Locality}, s.BedRevision, c.now())
		})
		if err != nil {
			if definite(err) {
				// The bed did not take the stay: end the claim.
				if _, ferr := exec(r, c.placements, key, "fail", func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
					return p.FailAllocation(s.ID, slugOf(err))
				}); ferr != nil {
					return readmodel.Stay{}, ferr
				}
				r.wait()
			}
			return readmodel.Stay{}, err
		}
	}
	if err := r.finishAllocation(key, s); err != nil {
		return readmodel.Stay{}, err
	}
	return r.stayView(stayID)
}
