// Package reactions holds the falls service's process managers: the
// handlers that finish what one command starts on another stream. A dispatch
// is two steps on two streams (the unit takes the assignment, then the
// incident takes the unit: see DESIGN.md), and an incident that ends frees
// its unit; these handlers make sure both happen, whatever crashes between
// the steps.
//
// Each runs as auth.SystemViewer(<its name>), with command IDs derived from
// the event it handles, so redelivery never doubles an effect. Their names
// are durable consumer names: renaming one is a migration.
//
// It imports the falls domain and app, pkg/auth, pkg/eventbus and zap.
package reactions

import (
	"context"
	"errors"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"go.uber.org/zap"

	"carecoord/pkg/auth"
	"carecoord/pkg/eventbus"
	"carecoord/services/falls/app"
	"carecoord/services/falls/domain"
)

// Consumer names.
const (
	DispatchOnResponderAssigned   = "falls.DispatchOnResponderAssigned"
	ReleaseResponderOnIncidentEnd = "falls.ReleaseResponderOnIncidentEnd"
)

// Register adds the reactions to the bus.
func Register(bus *eventbus.Bus, a *app.Application, log *zap.Logger) error {
	d := dispatch{app: a, log: log.Named("DispatchOnResponderAssigned")}
	if err := bus.AddHandlers(DispatchOnResponderAssigned, cqrs.NewGroupEventHandler(d.OnResponderAssigned)); err != nil {
		return err
	}
	r := release{app: a, log: log.Named("ReleaseResponderOnIncidentEnd")}
	return bus.AddHandlers(ReleaseResponderOnIncidentEnd,
		cqrs.NewGroupEventHandler(r.OnFallDispatchCancelled),
		cqrs.NewGroupEventHandler(r.OnFallEscalatedTo999),
		cqrs.NewGroupEventHandler(r.OnFallOutcomeRecorded),
	)
}

var errNoDelivery = errors.New("reactions: handler called without a delivery")

func as(ctx context.Context, name string) (context.Context, eventbus.Delivery, error) {
	d, ok := eventbus.DeliveryFrom(ctx)
	if !ok {
		return ctx, d, errNoDelivery
	}
	return auth.WithViewer(ctx, auth.SystemViewer(name)), d, nil
}

// dispatch drives every dispatch to its end: the incident takes the unit,
// or refuses it and the unit is released.
type dispatch struct {
	app *app.Application
	log *zap.Logger
}

// OnResponderAssigned confirms (or refuses and releases) an assignment.
func (h dispatch) OnResponderAssigned(ctx context.Context, e *domain.ResponderAssigned) error {
	ctx, d, err := as(ctx, DispatchOnResponderAssigned)
	if err != nil {
		return err
	}
	if err := h.app.Commands.ConfirmAssignment(ctx, d.EventID, *e); err != nil {
		h.log.Warn("dispatch not confirmed; will retry", zap.String("assignment", e.AssignmentID), zap.String("incident", e.IncidentID), zap.Error(err))
		return err
	}
	return nil
}

// release frees the unit of an incident that stood it down or finished
// with it. The command that ended the assignment has usually freed the unit
// already; this is for when it could not.
type release struct {
	app *app.Application
	log *zap.Logger
}

// OnFallDispatchCancelled frees the stood-down unit.
func (h release) OnFallDispatchCancelled(ctx context.Context, e *domain.FallDispatchCancelled) error {
	ctx, _, err := as(ctx, ReleaseResponderOnIncidentEnd)
	if err != nil {
		return err
	}
	return h.app.Commands.ReleaseAssignment(ctx, e.ResponderID, e.AssignmentID, domain.ReleaseStoodDown)
}

// OnFallEscalatedTo999 frees a unit stood down by the escalation.
func (h release) OnFallEscalatedTo999(ctx context.Context, e *domain.FallEscalatedTo999) error {
	if e.StandDown == nil {
		return nil
	}
	ctx, _, err := as(ctx, ReleaseResponderOnIncidentEnd)
	if err != nil {
		return err
	}
	return h.app.Commands.ReleaseAssignment(ctx, e.StandDown.ResponderID, e.StandDown.AssignmentID, domain.ReleaseStoodDown)
}

// OnFallOutcomeRecorded frees the unit that was on scene.
func (h release) OnFallOutcomeRecorded(ctx context.Context, e *domain.FallOutcomeRecorded) error {
	ctx, _, err := as(ctx, ReleaseResponderOnIncidentEnd)
	if err != nil {
		return err
	}
	return h.app.Commands.ReleaseAfterOutcome(ctx, e.IncidentID)
}
