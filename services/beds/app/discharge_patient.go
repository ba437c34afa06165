package app

import (
	"context"
	"fmt"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// DischargePatientInput ends an admitted stay.
type DischargePatientInput struct {
	CommandID   string         `json:"-"`
	StayID      string         `json:"stayId"`
	Pathway     domain.Pathway `json:"pathway"`
	Destination string         `json:"destination"`
	FollowUp    struct {
		ICTReferral bool   `json:"ictReferral"`
		Reason      string `json:"reason"`
	} `json:"followUp"`
	// DischargedAt is when the patient left (default now).
	DischargedAt string `json:"dischargedAt"`
}

// DischargePatient vacates the bed, then records the discharge on the stay
// (which publishes beds.PatientDischarged.v1): the release order, bed
// first, so that a patient the record shows discharged is never still in a
// bed.
func (c *Commands) DischargePatient(ctx context.Context, in DischargePatientInput) (readmodel.Stay, error) {
	v, err := auth.RequireRole(ctx, auth.BedManager)
	if err != nil {
		return readmodel.Stay{}, err
	}
	at, err := c.businessTime("dischargedAt", in.DischargedAt)
	if err != nil {
		return readmodel.Stay{}, err
	}
	key, view, err := c.placementKeyOf(in.StayID)
	if err != nil {
		return readmodel.Stay{}, err
	}
	r := c.start(ctx, v, in.CommandID)
	r.locality = view.Locality
	p, done, err := probe(r, c.placements, key, "discharge")
	if err != nil || done {
		return r.orStay(in.StayID, err)
	}
	if s, ok := p.Open(); ok && s.ID == in.StayID && s.Transfer != nil {
		if err := r.settle(key); err != nil {
			return readmodel.Stay{}, err
		}
		if p, _, err = c.placements.Load(ctx, key); err != nil {
			return readmodel.Stay{}, err
		}
	}
	d := domain.Discharge{Pathway: in.Pathway, Destination: in.Destination, ICTReferral: in.FollowUp.ICTReferral, Reason: in.FollowUp.Reason}
	// Decide on the loaded state first: nothing is written if the
	// discharge itself would be refused.
	if _, err := p.Discharge(in.StayID, d, at); err != nil {
		return readmodel.Stay{}, err
	}
	defer r.detach()()
	// Once the bed is vacated the discharge must be recorded: a transfer
	// that claimed a new bed in between is waited for (it moves the
	// patient or fails), then the bed the patient is in now is vacated and
	// the discharge recorded. The placement checks that the bed vacated is
	// still the stay's, so a move that finished in between is never missed.
	backoff := 10 * time.Millisecond
	for {
		s, ok := p.Open()
		if !ok || s.ID != in.StayID {
			_, err := p.Discharge(in.StayID, d, at) // says why
			return readmodel.Stay{}, err
		}
		// The step is named by the occupation it ends: if the patient left
		// this bed and came back meanwhile, vacating it again is a new step.
		if _, err := exec(r, c.beds, s.Bed.BedID, fmt.Sprintf("vacate-%d", s.Moves), func(b *domain.Bed, _ bool) ([]aggregate.Event, error) {
			return b.Vacate(s.ID, domain.VacatedOnDischarge, at)
		}); err != nil {
			return readmodel.Stay{}, err
		}
		vacated := d
		vacated.VacatedBedID = s.Bed.BedID
		_, err := exec(r, c.placements, key, "discharge", func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
			return p.Discharge(s.ID, vacated, at)
		})
		if e, ok := errs.As(err); !ok || (e.Slug != domain.SlugTransferInProgress && e.Slug != domain.SlugStayMoved) {
			if err != nil {
				return readmodel.Stay{}, err
			}
			return r.stayView(s.ID)
		}
		select {
		case <-r.ctx.Done():
			return readmodel.Stay{}, errs.Conflict("the discharge is recorded on the bed but waits for a transfer: repeat it with the same commandId", domain.SlugTransferInProgress)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 500*time.Millisecond)
		if err := r.settle(key); err != nil && !errs.Is(err, errs.KindConflict) {
			return readmodel.Stay{}, err
		}
		if p, _, err = c.placements.Load(r.ctx, key); err != nil {
			return readmodel.Stay{}, err
		}
	}
}
