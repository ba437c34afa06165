package app

import (
	"context"

	"go.uber.org/zap"

	"carecoord/pkg/aggregate"
	"carecoord/services/falls/domain"
)

// release ends a unit's assignment. Every path that ends one (the command
// that ended it, and the reaction that makes sure of it after a crash)
// releases with the same command ID, and a unit releases only the
// assignment it holds, so releasing is safe to repeat.
func (c *core) release(ctx context.Context, responderID, assignmentID string, reason domain.ReleaseReason, refusal *domain.Refusal) (int64, error) {
	base := ""
	if u, ok := c.Units.Get(responderID); ok {
		base = u.BaseLocality
	}
	now := c.now()
	res, err := c.Responders.Execute(ctx, responderID, aggregate.Command{ID: "release:" + assignmentID, Actor: "system:falls", Locality: base, At: now},
		func(r *domain.Responder, _ bool) ([]aggregate.Event, error) {
			return r.Release(assignmentID, reason, refusal, now), nil
		})
	return res.Version, err
}

// releaseEnded frees the unit whose assignment the command just ended and
// answers with the incident. A failure here does not fail the command, which
// is recorded: the ReleaseResponderOnIncidentEnd reaction frees the unit.
func (c *core) releaseEnded(ctx context.Context, view FallView, inc *domain.Incident, reason domain.ReleaseReason) (FallView, error) {
	a, ok := inc.EndedAssignment()
	if !ok {
		return view, nil
	}
	version, err := c.release(ctx, a.ResponderID, a.ID, reason, nil)
	if err != nil {
		c.Logger.Warn("responder not released with its incident; the reaction will", zap.String("incident", inc.ID()), zap.String("assignment", a.ID), zap.Error(err))
		return view, nil
	}
	c.settleResponder(ctx, a.ResponderID, version)
	return view, nil
}

// ReleaseAssignment frees a unit whose assignment an incident ended, for
// the ReleaseResponderOnIncidentEnd reaction.
func (c Commands) ReleaseAssignment(ctx context.Context, responderID, assignmentID string, reason domain.ReleaseReason) error {
	if _, err := system(ctx); err != nil {
		return err
	}
	_, err := c.c.release(ctx, responderID, assignmentID, reason, nil)
	return err
}

// ReleaseAfterOutcome frees the unit of an incident whose outcome is
// recorded (the outcome event, the published contract, does not name it).
func (c Commands) ReleaseAfterOutcome(ctx context.Context, incidentID string) error {
	if _, err := system(ctx); err != nil {
		return err
	}
	inc, _, err := c.c.Incidents.Load(ctx, incidentID)
	if err != nil {
		return err
	}
	a, ok := inc.EndedAssignment()
	if !ok {
		return nil
	}
	return c.ReleaseAssignment(ctx, a.ResponderID, a.ID, domain.ReleaseOutcome)
}
