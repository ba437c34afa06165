package app

import (
	"context"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/services/falls/domain"
)

// EscalateFallTo999Input hands an incident to the ambulance service.
type EscalateFallTo999Input struct {
	IncidentID string `json:"incidentId"`
	// Reason is clinical free text (what was found): stored, never logged.
	Reason string `json:"reason"`
	// AmbulanceReference is the ambulance service's incident number.
	AmbulanceReference string `json:"ambulanceReference"`
	EscalatedAt        string `json:"escalatedAt"`
}

// EscalateFallTo999 escalates; a unit on its way is stood down and freed.
func (c Commands) EscalateFallTo999(ctx context.Context, commandID string, in EscalateFallTo999Input) (FallView, error) {
	view, res, err := c.c.incidentStep(ctx, commandID, in.IncidentID, func(i *domain.Incident, v auth.Viewer, now time.Time) ([]aggregate.Event, error) {
		t, err := at("escalatedAt", in.EscalatedAt, now)
		if err != nil {
			return nil, err
		}
		return i.EscalateTo999(in.Reason, in.AmbulanceReference, v.Subject, t, now)
	})
	if err != nil {
		return view, err
	}
	return c.c.releaseEnded(ctx, view, res.State, domain.ReleaseStoodDown)
}
