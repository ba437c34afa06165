// Package reactions holds caseload's process managers: handlers that react
// to events (other services' and its own) by running caseload commands.
//
// Each runs as auth.SystemViewer(<its name>) with a command ID derived from
// the event it handles, so redelivery never doubles an effect. A permanent
// failure (the event names a patient without an NHS number, an unknown
// locality, a step the episode's state does not allow) is logged, without
// patient data, and acknowledged: retrying cannot fix it. A transient one
// (conflict, storage) is returned, so the bus retries and, in the end, parks
// the event.
//
// It imports app, inbound and domain (for the events it consumes), pkg/auth,
// pkg/errs, pkg/eventbus and pkg/eventstore; it waits on the read model
// through the small Progress interface it declares.
package reactions

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"go.uber.org/zap"

	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/services/caseload/app"
)

// Consumer names: each is a durable checkpoint, so renaming one is a
// migration.
const (
	OpenEpisodeOnReferralAccepted = "caseload.OpenEpisodeOnReferralAccepted"
	// SuspendEpisodeWhileInBed holds SuspendEpisodeOnAdmission and
	// ResumeEpisodeOnDischarge in one consumer: see Register.
	SuspendEpisodeWhileInBed  = "caseload.SuspendEpisodeWhileInBed"
	SuspendEpisodeOnAdmission = "caseload.SuspendEpisodeOnAdmission"
	ResumeEpisodeOnDischarge  = "caseload.ResumeEpisodeOnDischarge"
	OpenEpisodeOnTransfer     = "caseload.OpenEpisodeOnTransfer"
)

// Progress is how far the read model has applied the log: a reaction that
// looks a patient up waits for it to pass the event it handles.
type Progress interface {
	WaitFor(ctx context.Context, pos eventstore.Position) error
}

// Bus is where the reactions are registered.
type Bus interface {
	AddHandlers(consumer string, handlers ...cqrs.GroupEventHandler) error
}

// Reactions are caseload's process managers.
type Reactions struct {
	app    *app.Application
	rm     Progress
	logger *zap.Logger
}

// Register adds the reactions to the bus.
//
// Admission and discharge are one consumer with two handlers rather than
// two consumers: each consumer has its own checkpoint and pace, so with two
// a discharge could be handled before the admission it ends (both arrive
// close together, or one consumer is behind after a restart); the resume
// would find nothing suspended, the suspension would come after, and the
// episode would stay suspended with the patient at home. One consumer sees
// them in log order.
func Register(bus Bus, a *app.Application, rm Progress, logger *zap.Logger) error {
	r := &Reactions{app: a, rm: rm, logger: logger.Named("caseload.reactions")}
	if err := bus.AddHandlers(OpenEpisodeOnReferralAccepted, cqrs.NewGroupEventHandler(r.openEpisodeOnReferralAccepted)); err != nil {
		return err
	}
	if err := bus.AddHandlers(SuspendEpisodeWhileInBed,
		cqrs.NewGroupEventHandler(r.suspendEpisodeOnAdmission),
		cqrs.NewGroupEventHandler(r.resumeEpisodeOnDischarge)); err != nil {
		return err
	}
	return bus.AddHandlers(OpenEpisodeOnTransfer, cqrs.NewGroupEventHandler(r.openEpisodeOnTransfer))
}

// as runs the reaction as its system viewer.
func as(ctx context.Context, name string) context.Context {
	return auth.WithViewer(ctx, auth.SystemViewer(name))
}

// commandID derives the command ID from the event being handled.
func commandID(ctx context.Context, name string) string {
	d, _ := eventbus.DeliveryFrom(ctx)
	return name + ":" + d.EventID
}

// settle decides what a command's error means for the event: nil for a
// permanent refusal (logged; retrying cannot help), the error for anything
// that may pass (the bus retries).
func (r *Reactions) settle(ctx context.Context, reaction string, err error, fields ...zap.Field) error {
	if err == nil {
		return nil
	}
	switch errs.KindOf(err) {
	case errs.KindInvalidInput, errs.KindNotFound, errs.KindForbidden:
		d, _ := eventbus.DeliveryFrom(ctx)
		e, _ := errs.As(err)
		r.logger.Warn("reaction skipped an event it cannot act on", append(fields,
			zap.String("reaction", reaction), zap.String("event_id", d.EventID), zap.String("event_type", d.Type),
			zap.String("reason", e.Slug))...)
		return nil
	}
	return err
}

// skip logs an event the reaction does not act on.
func (r *Reactions) skip(ctx context.Context, reaction, why string, fields ...zap.Field) error {
	d, _ := eventbus.DeliveryFrom(ctx)
	r.logger.Info("reaction did not act", append(fields, zap.String("reaction", reaction),
		zap.String("event_id", d.EventID), zap.String("event_type", d.Type), zap.String("why", why))...)
	return nil
}

// waitForReadModel waits until the read model has applied everything up to
// the event being handled, so a lookup sees every episode the log held
// before it, even while the projection rebuilds after a restart.
func (r *Reactions) waitForReadModel(ctx context.Context) error {
	d, ok := eventbus.DeliveryFrom(ctx)
	if !ok {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return r.rm.WaitFor(wctx, d.Position)
}
