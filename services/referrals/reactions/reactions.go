// Package reactions holds the referrals service's process managers: handlers
// of other services' published events that raise referrals. Each consumes
// its own copy of the producer's event (the JSON Schema under
// schemas/events/<producer>/ is the contract; no Go package of another
// service is imported), runs the service's own receive command as carecoord's
// system identity, with a command ID derived from the consumed event so that
// redelivery never doubles a referral.
//
// An event the service cannot act on (no NHS number, no locality, data the
// receive command refuses) is logged, without patient data, and acknowledged:
// retrying would never succeed. Only transient failures are returned, for
// the bus to retry.
//
// It imports the service's app and domain packages, pkg/auth, pkg/errs,
// pkg/eventbus and pkg/locality.
package reactions

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"go.uber.org/zap"

	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/locality"
	"carecoord/pkg/nhsnumber"
	"carecoord/services/referrals/app"
)

// Consumer names: each is a durable checkpoint, never renamed casually.
const (
	RaiseReferralOnFallOutcome       = "referrals.RaiseReferralOnFallOutcome"
	RaiseReferralOnDischargeFollowUp = "referrals.RaiseReferralOnDischargeFollowUp"
)

// Receiver receives a referral without waiting for it to be shown.
type Receiver interface {
	Record(ctx context.Context, in app.ReceiveReferral, commandID string) (app.Written, error)
}

// Reactions raise referrals from other services' events.
type Reactions struct {
	receive    Receiver
	localities *locality.Registry
	log        *zap.Logger
	now        func() time.Time
}

// New returns the reactions.
func New(receive Receiver, localities *locality.Registry, log *zap.Logger, now func() time.Time) *Reactions {
	if log == nil {
		log = zap.NewNop()
	}
	if now == nil {
		now = time.Now
	}
	return &Reactions{receive: receive, localities: localities, log: log.Named("reactions"), now: now}
}

// Register adds the reactions to the bus, each as its own durable consumer.
func (r *Reactions) Register(bus *eventbus.Bus) error {
	if err := bus.AddHandlers(RaiseReferralOnFallOutcome, cqrs.NewGroupEventHandler(r.OnFallOutcomeRecorded)); err != nil {
		return err
	}
	return bus.AddHandlers(RaiseReferralOnDischargeFollowUp, cqrs.NewGroupEventHandler(r.OnPatientDischarged))
}

// PatientBlock is the shared patient block of cross-service events, read
// leniently: a malformed value must lead to a logged skip, not to an event
// that can never be decoded.
type PatientBlock struct {
	NHSNumber             *string `json:"nhsNumber"`
	NHSNumberVerification string  `json:"nhsNumberVerification"`
	GivenName             string  `json:"givenName"`
	FamilyName            string  `json:"familyName"`
	DateOfBirth           *string `json:"dateOfBirth"`
	Postcode              *string `json:"postcode"`
	GPPractice            *string `json:"gpPractice"`
}

// skip is why a reaction let an event go; it is logged, never with patient
// data.
type skip string

// patient turns the producer's patient block into receive input and the
// locality to give: none when the registered practice settles it, the
// event's locality otherwise.
func (r *Reactions) patient(p PatientBlock, eventLocality string) (app.PatientInput, *string, skip) {
	if p.NHSNumber == nil || *p.NHSNumber == "" {
		return app.PatientInput{}, nil, "the patient has no NHS number"
	}
	if _, err := nhsnumber.Parse(*p.NHSNumber); err != nil {
		return app.PatientInput{}, nil, "the patient's NHS number is not valid"
	}
	ver := p.NHSNumberVerification
	if v, err := nhsnumber.ParseVerification(ver); err != nil || v == nhsnumber.NotKnown {
		// A number with no usable status is one nobody has verified.
		ver = string(nhsnumber.Unverified)
	}
	in := app.PatientInput{
		NHSNumber: p.NHSNumber, NHSNumberVerification: ver, GivenName: p.GivenName, FamilyName: p.FamilyName,
		DateOfBirth: p.DateOfBirth, Postcode: p.Postcode, GPPractice: p.GPPractice,
	}
	if p.GPPractice != nil {
		if _, known := r.localities.Practice(*p.GPPractice); known {
			return in, nil, ""
		}
	}
	if _, ok := r.localities.Get(locality.ID(eventLocality)); !ok {
		return app.PatientInput{}, nil, "no locality: the patient has no practice here and the event names no known locality"
	}
	loc := eventLocality
	return in, &loc, ""
}

// system is the context a reaction's command runs in.
func system(ctx context.Context, name string) context.Context {
	return auth.WithViewer(ctx, auth.SystemViewer(name))
}

// receivedAt is the business time of an automated referral: the producer's
// time, but never ahead of this node's clock (the producer's may be fast).
func (r *Reactions) receivedAt(t time.Time) time.Time {
	if now := r.now(); t.IsZero() || t.After(now) {
		return now
	}
	return t
}

// settle decides what the bus hears of a command's outcome: nil for
// success and for a refusal retrying cannot change (logged), the error for
// anything that may pass on retry.
func settle(log *zap.Logger, err error) error {
	if err == nil {
		return nil
	}
	e, ok := errs.As(err)
	if ok && (e.Kind == errs.KindInvalidInput || e.Kind == errs.KindNotFound || e.Kind == errs.KindForbidden) {
		// The message and field hold no patient data (pkg/errs).
		log.Warn("referral not raised: the event's data was refused", zap.String("reason", e.Slug), zap.String("field", e.Field))
		return nil
	}
	return err
}

// logger is the reaction's logger for one event: IDs only.
func (r *Reactions) logger(ctx context.Context, consumer string) *zap.Logger {
	d, _ := eventbus.DeliveryFrom(ctx)
	return r.log.With(zap.String("consumer", consumer), zap.String("event_id", d.EventID), zap.String("correlation_id", d.CorrelationID))
}

func ptr[T any](v T) *T { return &v }

// parseTime reads a producer's RFC 3339 time; zero when absent or unreadable.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
