package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// MarkBedCleanInput records housekeeping's clean.
type MarkBedCleanInput struct {
	CommandID string `json:"-"`
	BedID     string `json:"bedId"`
	// CleanedAt is when the clean finished (default now).
	CleanedAt string `json:"cleanedAt"`
}

// MarkBedClean returns a bed awaiting clean (or contaminated) to use.
func (c *Commands) MarkBedClean(ctx context.Context, in MarkBedCleanInput) (readmodel.Bed, error) {
	at, err := c.businessTime("cleanedAt", in.CleanedAt)
	if err != nil {
		return readmodel.Bed{}, err
	}
	return c.onBed(ctx, in.CommandID, in.BedID, func(b *domain.Bed, by string) ([]aggregate.Event, error) {
		return b.MarkClean(by, at)
	})
}

// CloseBedInput takes a bed out of use.
type CloseBedInput struct {
	CommandID string `json:"-"`
	BedID     string `json:"bedId"`
	// Status is CLOSED (default), CONTAMINATED or ISOLATED.
	Status domain.BedStatus     `json:"status"`
	Reason domain.ClosureReason `json:"reason"`
	// Note is an operational note (never patient data).
	Note string `json:"note"`
}

// CloseBed takes an empty bed out of use.
func (c *Commands) CloseBed(ctx context.Context, in CloseBedInput) (readmodel.Bed, error) {
	status := in.Status
	if status == "" {
		status = domain.Closed
	}
	now := c.now()
	return c.onBed(ctx, in.CommandID, in.BedID, func(b *domain.Bed, by string) ([]aggregate.Event, error) {
		return b.Close(status, in.Reason, in.Note, by, now)
	})
}

// ReopenBedInput returns a closed bed to use.
type ReopenBedInput struct {
	CommandID string `json:"-"`
	BedID     string `json:"bedId"`
}

// ReopenBed returns a closed or isolated bed to use.
func (c *Commands) ReopenBed(ctx context.Context, in ReopenBedInput) (readmodel.Bed, error) {
	now := c.now()
	return c.onBed(ctx, in.CommandID, in.BedID, func(b *domain.Bed, by string) ([]aggregate.Event, error) {
		return b.Reopen(by, now)
	})
}

// onBed runs a bed manager's single-step command on one bed.
func (c *Commands) onBed(ctx context.Context, commandID, bedID string, decide func(b *domain.Bed, by string) ([]aggregate.Event, error)) (readmodel.Bed, error) {
	v, err := auth.RequireRole(ctx, auth.BedManager)
	if err != nil {
		return readmodel.Bed{}, err
	}
	if _, err := c.hospitals.Locate("bedId", bedID); err != nil {
		return readmodel.Bed{}, err
	}
	r := c.start(ctx, v, commandID)
	if _, err := exec(r, c.beds, bedID, "", func(b *domain.Bed, _ bool) ([]aggregate.Event, error) {
		return decide(b, v.Subject)
	}); err != nil {
		return readmodel.Bed{}, err
	}
	r.wait()
	b, ok := c.views.Bed(bedID)
	if !ok {
		return readmodel.Bed{}, errs.Internal("the change was recorded but cannot be shown yet: reload", nil)
	}
	return b, nil
}
