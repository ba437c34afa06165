package app

import (
	"context"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/services/falls/domain"
)

// ResponderEnRouteInput reports the unit on its way.
type ResponderEnRouteInput struct {
	IncidentID string `json:"incidentId"`
	EnRouteAt  string `json:"enRouteAt"`
}

// ResponderEnRoute records the unit on its way.
func (c Commands) ResponderEnRoute(ctx context.Context, commandID string, in ResponderEnRouteInput) (FallView, error) {
	view, _, err := c.c.incidentStep(ctx, commandID, in.IncidentID, func(i *domain.Incident, v auth.Viewer, now time.Time) ([]aggregate.Event, error) {
		t, err := at("enRouteAt", in.EnRouteAt, now)
		if err != nil {
			return nil, err
		}
		return i.EnRoute(v.Subject, t, now)
	})
	return view, err
}

// ResponderOnSceneInput reports the unit's arrival and, when it has
// happened, the lift.
type ResponderOnSceneInput struct {
	IncidentID string `json:"incidentId"`
	ArrivedAt  string `json:"arrivedAt"`
	LiftedAt   string `json:"liftedAt"`
}

// ResponderOnScene records the unit on scene (and the lift, if given).
func (c Commands) ResponderOnScene(ctx context.Context, commandID string, in ResponderOnSceneInput) (FallView, error) {
	view, _, err := c.c.incidentStep(ctx, commandID, in.IncidentID, func(i *domain.Incident, v auth.Viewer, now time.Time) ([]aggregate.Event, error) {
		arrived, err := at("arrivedAt", in.ArrivedAt, now)
		if err != nil {
			return nil, err
		}
		var lifted time.Time
		if in.LiftedAt != "" {
			if lifted, err = at("liftedAt", in.LiftedAt, now); err != nil {
				return nil, err
			}
		}
		return i.OnScene(v.Subject, arrived, lifted, now)
	})
	return view, err
}

// RecordLiftInput is the lift that stops the time-on-the-floor clock.
type RecordLiftInput struct {
	IncidentID string `json:"incidentId"`
	LiftedAt   string `json:"liftedAt"`
	// Equipment is the lifting equipment used (e.g. "Mangar ELK").
	Equipment string `json:"equipment"`
}

// RecordLift records the lift.
func (c Commands) RecordLift(ctx context.Context, commandID string, in RecordLiftInput) (FallView, error) {
	view, _, err := c.c.incidentStep(ctx, commandID, in.IncidentID, func(i *domain.Incident, v auth.Viewer, now time.Time) ([]aggregate.Event, error) {
		t, err := at("liftedAt", in.LiftedAt, now)
		if err != nil {
			return nil, err
		}
		return i.RecordLift(in.Equipment, v.Subject, t, now)
	})
	return view, err
}
