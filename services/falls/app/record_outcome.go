package app

import (
	"context"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/services/falls/domain"
)

// RecordFallOutcomeInput is how the response ended.
type RecordFallOutcomeInput struct {
	IncidentID string   `json:"incidentId"`
	Outcome    string   `json:"outcome"`
	ReferTo    []string `json:"referTo"`
	// ClinicalNeed is a short clinical phrase for the receiving service:
	// stored and published, never logged.
	ClinicalNeed string `json:"clinicalNeed"`
	RecordedAt   string `json:"recordedAt"`
}

// RecordFallOutcome records the outcome (published as
// falls.FallOutcomeRecorded.v1) and frees the unit.
func (c Commands) RecordFallOutcome(ctx context.Context, commandID string, in RecordFallOutcomeInput) (FallView, error) {
	view, res, err := c.c.incidentStep(ctx, commandID, in.IncidentID, func(i *domain.Incident, v auth.Viewer, now time.Time) ([]aggregate.Event, error) {
		o, err := domain.ParseOutcome("outcome", in.Outcome)
		if err != nil {
			return nil, err
		}
		referTo, err := domain.ParseReferTo("referTo", in.ReferTo)
		if err != nil {
			return nil, err
		}
		t, err := at("recordedAt", in.RecordedAt, now)
		if err != nil {
			return nil, err
		}
		return i.RecordOutcome(domain.OutcomeInput{Outcome: o, ReferTo: referTo, ClinicalNeed: in.ClinicalNeed}, v.Subject, t, now)
	})
	if err != nil {
		return view, err
	}
	return c.c.releaseEnded(ctx, view, res.State, domain.ReleaseOutcome)
}
