package app

import (
	"context"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/services/falls/domain"
)

// CancelDispatchInput stands a unit down before it arrives.
type CancelDispatchInput struct {
	IncidentID  string `json:"incidentId"`
	Reason      string `json:"reason"`
	CancelledAt string `json:"cancelledAt"`
}

// CancelDispatch stands the unit down, frees it and queues the incident again.
func (c Commands) CancelDispatch(ctx context.Context, commandID string, in CancelDispatchInput) (FallView, error) {
	view, res, err := c.c.incidentStep(ctx, commandID, in.IncidentID, func(i *domain.Incident, v auth.Viewer, now time.Time) ([]aggregate.Event, error) {
		t, err := at("cancelledAt", in.CancelledAt, now)
		if err != nil {
			return nil, err
		}
		return i.CancelDispatch(in.Reason, v.Subject, t, now)
	})
	if err != nil {
		return view, err
	}
	return c.c.releaseEnded(ctx, view, res.State, domain.ReleaseStoodDown)
}
