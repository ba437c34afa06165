package app

import (
	"context"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/services/falls/domain"
)

// TriageFallInput is the ISTUMBLE answers.
type TriageFallInput struct {
	IncidentID string   `json:"incidentId"`
	RedFlags   []string `json:"redFlags"`
	Injury     string   `json:"injury"`
	// Notes is clinical free text: stored, never logged.
	Notes     string `json:"notes"`
	TriagedAt string `json:"triagedAt"`
}

// TriageFall records triage: the answers decide the response (999, level 2
// or level 1); the dispatcher does not choose it.
func (c Commands) TriageFall(ctx context.Context, commandID string, in TriageFallInput) (FallView, error) {
	view, _, err := c.c.incidentStep(ctx, commandID, in.IncidentID, func(i *domain.Incident, v auth.Viewer, now time.Time) ([]aggregate.Event, error) {
		flags, err := domain.ParseRedFlags("redFlags", in.RedFlags)
		if err != nil {
			return nil, err
		}
		injury, err := domain.ParseInjury("injury", in.Injury)
		if err != nil {
			return nil, err
		}
		t, err := at("triagedAt", in.TriagedAt, now)
		if err != nil {
			return nil, err
		}
		return i.Triage(flags, injury, in.Notes, v.Subject, t, now)
	})
	return view, err
}
