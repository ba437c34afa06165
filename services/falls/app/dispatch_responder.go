package app

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
	"carecoord/pkg/eventstore"
	"carecoord/services/falls/domain"
	"carecoord/services/falls/readmodel"
)

// DispatchResponderInput sends a unit to an incident.
type DispatchResponderInput struct {
	IncidentID   string `json:"incidentId"`
	ResponderID  string `json:"responderId"`
	DispatchedAt string `json:"dispatchedAt"`
}

// DispatchResponder sends a unit to an incident. A dispatch spans two
// streams (see DESIGN.md): the unit takes the assignment first, on its own
// stream with optimistic concurrency, so that of many dispatchers sending
// one unit exactly one wins; the incident then takes it (the
// DispatchOnResponderAssigned reaction, ConfirmAssignment below) or refuses
// it and the unit is released. This waits for that and answers with its
// result: the incident dispatched, or the incident's reason for refusing.
func (c Commands) DispatchResponder(ctx context.Context, commandID string, in DispatchResponderInput) (FallView, error) {
	v, err := dispatcher(ctx)
	if err != nil {
		return FallView{}, err
	}
	incidentID, err := required("incidentId", in.IncidentID)
	if err != nil {
		return FallView{}, err
	}
	responderID, err := required("responderId", in.ResponderID)
	if err != nil {
		return FallView{}, err
	}
	unit, ok := c.c.Units.Get(responderID)
	if !ok {
		return FallView{}, errs.Invalid("responderId", "is not a falls responder unit", "responder-unknown")
	}
	now := c.c.now()
	dispatchedAt, err := at("dispatchedAt", in.DispatchedAt, now)
	if err != nil {
		return FallView{}, err
	}
	// The assignment's ID follows from the command, the unit and the
	// incident, so that a repeat finds the first attempt's assignment and
	// a commandId reused for another unit cannot share one.
	assignmentID := newAssignmentID(commandID, responderID, incidentID)
	cmdID := ""
	if commandID != "" {
		cmdID = "dispatch:" + commandID
	}
	_, err = c.c.Responders.Execute(ctx, responderID, aggregate.Command{ID: cmdID, Actor: v.Subject, Locality: unit.BaseLocality, At: dispatchedAt},
		func(r *domain.Responder, _ bool) ([]aggregate.Event, error) {
			// Check the incident first, so that a dispatch it would refuse
			// never commits the unit, even for a moment. (A repeated
			// command does not get here: it is answered with its first
			// result below.)
			inc, version, err := c.c.Incidents.Load(ctx, incidentID)
			if err != nil {
				return nil, err
			}
			if version < 0 {
				return nil, errIncidentNotFound
			}
			if err := inc.CanDispatch(unit.Level, dispatchedAt, now); err != nil {
				return nil, err
			}
			return r.Assign(unit, assignmentID, incidentID, v.Subject, dispatchedAt)
		})
	if err != nil {
		return FallView{}, err
	}
	return c.c.awaitAssignment(ctx, assignmentID, incidentID)
}

func newAssignmentID(commandID, responderID, incidentID string) string {
	if commandID == "" {
		return uuid.NewString()
	}
	return eventstore.DeterministicID("fallassignment", commandID, responderID, incidentID).String()
}

// awaitAssignment waits until the incident has taken or refused the
// assignment, and answers as the dispatch command.
func (c *core) awaitAssignment(ctx context.Context, assignmentID, incidentID string) (FallView, error) {
	wctx, cancel := context.WithTimeout(ctx, c.ConfirmTimeout)
	defer cancel()
	var state readmodel.AssignmentState
	err := c.Board.WaitUntil(wctx, func() bool {
		s, ok := c.Board.Assignment(assignmentID)
		state = s
		return ok && s.Resolved()
	})
	if err != nil {
		if ctx.Err() != nil {
			return FallView{}, ctx.Err()
		}
		c.Logger.Warn("dispatch not confirmed in time", zap.String("assignment", assignmentID), zap.String("incident", incidentID))
		return FallView{}, errs.Internal("the responder is assigned but the incident has not confirmed it yet: reload the queue in a moment", nil)
	}
	if !state.Taken {
		if r := state.Refusal; r != nil {
			return FallView{}, &errs.Error{Kind: errs.KindInvalidInput, Slug: r.Reason, Msg: r.Message, Field: r.Field}
		}
		return FallView{}, errs.Conflict("the incident changed while the responder was being dispatched: reload and try again", "dispatch-superseded")
	}
	return c.incidentView(ctx, incidentID)
}

// ConfirmAssignment is the second half of a dispatch, run for each
// ResponderAssigned event by the one reaction that drives dispatches: while
// the unit still holds the assignment, the incident takes it; if the
// incident refuses, the unit is released with the incident's reason.
// Because only this sequential handler decides an assignment's fate, a
// redelivered event finds the decision already made and changes nothing.
// It returns an error only for a failure worth retrying.
func (c Commands) ConfirmAssignment(ctx context.Context, eventID string, e domain.ResponderAssigned) error {
	if _, err := system(ctx); err != nil {
		return err
	}
	r, _, err := c.c.Responders.Load(ctx, e.ResponderID)
	if err != nil {
		return err
	}
	if !r.Holds(e.AssignmentID) {
		return nil // already taken and since released, or refused
	}
	inc, _, err := c.c.Incidents.Load(ctx, e.IncidentID)
	if err != nil {
		return err
	}
	now := c.c.now()
	a := domain.Assignment{ID: e.AssignmentID, ResponderID: e.ResponderID, CallSign: e.CallSign, Level: e.Level, DispatchedAt: e.AssignedAt}
	cmd := aggregate.Command{ID: "DispatchOnResponderAssigned:" + eventID, Actor: e.AssignedBy, Locality: inc.Locality(), At: e.AssignedAt}
	// Conflicts are retried here rather than by the bus: the assignment
	// holds a unit, and parking it after a few retries would strand it.
	for attempt := 0; ; attempt++ {
		_, err = c.c.Incidents.Execute(ctx, e.IncidentID, cmd, func(i *domain.Incident, exists bool) ([]aggregate.Event, error) {
			if !exists {
				return nil, errIncidentNotFound
			}
			if i.HasTaken(e.AssignmentID) {
				return nil, nil
			}
			return i.Dispatch(a, e.AssignedBy, now)
		})
		if !errs.Is(err, errs.KindConflict) || attempt >= 20 || ctx.Err() != nil {
			break
		}
	}
	if err == nil {
		return nil
	}
	kind := errs.KindOf(err)
	if kind != errs.KindInvalidInput && kind != errs.KindNotFound {
		return err
	}
	refusal := &domain.Refusal{Reason: "dispatch-refused", Message: err.Error()}
	var typed *errs.Error
	if errors.As(err, &typed) {
		refusal = &domain.Refusal{Reason: typed.Slug, Message: typed.Msg, Field: typed.Field}
	}
	_, err = c.c.release(ctx, e.ResponderID, e.AssignmentID, domain.ReleaseRefused, refusal)
	return err
}
