package app

import (
	"context"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/services/falls/domain"
)

// CloseFallInput closes an incident.
type CloseFallInput struct {
	IncidentID string `json:"incidentId"`
	// Reason is COMPLETED (the default: the outcome is recorded),
	// DUPLICATE_ALERT or NO_FALL (before any unit is sent).
	Reason   string `json:"reason"`
	ClosedAt string `json:"closedAt"`
}

// CloseFall closes the incident.
func (c Commands) CloseFall(ctx context.Context, commandID string, in CloseFallInput) (FallView, error) {
	view, _, err := c.c.incidentStep(ctx, commandID, in.IncidentID, func(i *domain.Incident, v auth.Viewer, now time.Time) ([]aggregate.Event, error) {
		reason, err := domain.ParseCloseReason("reason", in.Reason)
		if err != nil {
			return nil, err
		}
		t, err := at("closedAt", in.ClosedAt, now)
		if err != nil {
			return nil, err
		}
		return i.Close(reason, v.Subject, t, now)
	})
	return view, err
}
