// Package app is the referrals service's application layer: one file per
// command or query. A command authorises the viewer, turns input into domain
// values (reporting the offending input field), runs the aggregate's decision
// through the repository and returns the read model's view of the result once
// it shows the write. A query checks the viewer's reach again, whatever path
// the request came by.
//
// Roles: ict_clinician for their own localities, admin everywhere, and
// carecoord's own system identity (reactions, seed). Bed managers and falls
// dispatchers do not read referrals.
//
// It imports the service's domain and readmodel packages and pkg/aggregate,
// pkg/auth, pkg/errs, pkg/eventstore, pkg/locality, pkg/nhsnumber and
// pkg/postcode.
package app

import (
	"context"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/audit"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/locality"
	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/readmodel"
)

// ReadModel is what the application reads: the referrals read model.
type ReadModel interface {
	Get(id string) (readmodel.Referral, bool)
	Locality(locality string, statuses []domain.Status) []readmodel.Referral
	Patient(nhsNumber string) []readmodel.Referral
	PatientTimeline(nhsNumber string, keep func(readmodel.Referral) bool) []readmodel.Timeline
	Performance(locality string, now time.Time) readmodel.Performance
	WaitForRevision(ctx context.Context, id string, rev uint64) error
}

// Repository loads and saves referrals.
type Repository interface {
	Execute(ctx context.Context, id string, cmd aggregate.Command, decide aggregate.Decide[*domain.Referral]) (aggregate.Result[*domain.Referral], error)
	Load(ctx context.Context, id string) (*domain.Referral, int64, error)
}

// Application is the service's commands and queries.
type Application struct {
	Commands Commands
	Queries  Queries
	// Now is the service's clock, for figures computed at read time.
	Now func() time.Time
	// Localities is the reference data the service works with.
	Localities *locality.Registry
}

// Commands change referrals.
type Commands struct {
	ReceiveReferral           ReceiveReferralHandler
	TriageReferral            TriageReferralHandler
	RecordInformationReceived RecordInformationReceivedHandler
	AllocateReferral          AllocateReferralHandler
	RecordFirstContact        RecordFirstContactHandler
	RecordPatientChoice       RecordPatientChoiceHandler
	WithdrawReferral          WithdrawReferralHandler
}

// Queries read referrals.
type Queries struct {
	Referral          ReferralHandler
	LocalityReferrals LocalityReferralsHandler
	PatientReferrals  PatientReferralsHandler
	PatientTimeline   PatientTimelineHandler
	PatientDetails    PatientDetailsHandler
	Performance       PerformanceHandler
}

// New builds the application. now nil is time.Now.
func New(repo Repository, rm ReadModel, localities *locality.Registry, now func() time.Time) *Application {
	if now == nil {
		now = time.Now
	}
	d := deps{repo: repo, rm: rm, localities: localities, now: func() time.Time { return now().UTC() }}
	return &Application{
		Commands: Commands{
			ReceiveReferral:           ReceiveReferralHandler{d},
			TriageReferral:            TriageReferralHandler{d},
			RecordInformationReceived: RecordInformationReceivedHandler{d},
			AllocateReferral:          AllocateReferralHandler{d},
			RecordFirstContact:        RecordFirstContactHandler{d},
			RecordPatientChoice:       RecordPatientChoiceHandler{d},
			WithdrawReferral:          WithdrawReferralHandler{d},
		},
		Queries: Queries{
			Referral:          ReferralHandler{d},
			LocalityReferrals: LocalityReferralsHandler{d},
			PatientReferrals:  PatientReferralsHandler{d},
			PatientTimeline:   PatientTimelineHandler{d},
			PatientDetails:    PatientDetailsHandler{d},
			Performance:       PerformanceHandler{d},
		},
		Now:        d.now,
		Localities: localities,
	}
}

// deps is what every handler needs.
type deps struct {
	repo       Repository
	rm         ReadModel
	localities *locality.Registry
	now        func() time.Time
}

// readWait bounds how long a command waits for the read model to show its
// write before answering with what the model has.
const readWait = 2 * time.Second

// viewer is the caller, if their role works with referrals.
func viewer(ctx context.Context) (auth.Viewer, error) {
	return auth.RequireRole(ctx, auth.ICTClinician)
}

// at reads an optional business time: now when absent, never in the future.
func (d deps) at(field string, s *string) (time.Time, error) {
	now := d.now()
	if s == nil || *s == "" {
		return now, nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return time.Time{}, errs.Invalid(field, "must be an RFC 3339 time such as 2026-11-23T09:30:00Z", "time-format")
	}
	if t.After(now.Add(domain.ClockSkew)) {
		return time.Time{}, errs.Invalid(field, "must not be in the future", "time-in-future")
	}
	return t.UTC(), nil
}

// change runs a command on an existing referral: the viewer must reach its
// locality; decide sees the authoritative state.
func (d deps) change(ctx context.Context, id, commandID string, at time.Time, decide func(*domain.Referral, domain.Step) ([]aggregate.Event, error)) (readmodel.Referral, error) {
	v, err := viewer(ctx)
	if err != nil {
		return readmodel.Referral{}, err
	}
	if id == "" {
		return readmodel.Referral{}, errs.Invalid("referralId", "is required", "required")
	}
	// The locality goes into the events' metadata, which is fixed before
	// the aggregate loads: take it from the read model (a referral never
	// changes locality) or, for a referral too new to be there, the stream.
	loc := ""
	if r, ok := d.rm.Get(id); ok {
		loc = r.Locality
	} else {
		r, _, err := d.repo.Load(ctx, id)
		if err != nil {
			return readmodel.Referral{}, err
		}
		loc = r.Locality()
	}
	if loc == "" {
		return readmodel.Referral{}, errs.NotFound("there is no such referral", "referral-not-found")
	}
	if err := v.RequireLocality(loc); err != nil {
		return readmodel.Referral{}, err
	}
	res, err := d.repo.Execute(ctx, id, aggregate.Command{ID: commandID, Actor: v.Subject, Locality: loc, At: at}, func(r *domain.Referral, exists bool) ([]aggregate.Event, error) {
		if !exists {
			return nil, errs.NotFound("there is no such referral", "referral-not-found")
		}
		if err := v.RequireLocality(r.Locality()); err != nil {
			return nil, err
		}
		return decide(r, domain.Step{At: at, By: v.Subject})
	})
	if err != nil {
		return readmodel.Referral{}, err
	}
	r, err := d.view(ctx, id, res.Version)
	if err == nil {
		audit.Touch(ctx, r.Patient.NHS())
	}
	return r, err
}

// touch records that the referrals' patients are shown (see pkg/audit).
func touch(ctx context.Context, rs ...readmodel.Referral) {
	for _, r := range rs {
		audit.Touch(ctx, r.Patient.NHS())
	}
}

// view is the read model's referral once it shows stream revision version
// (the caller reads their own write). If the model is slow, it answers with
// what it has: the write itself succeeded.
func (d deps) view(ctx context.Context, id string, version int64) (readmodel.Referral, error) {
	if version >= 0 {
		wctx, cancel := context.WithTimeout(ctx, readWait)
		_ = d.rm.WaitForRevision(wctx, id, uint64(version))
		cancel()
	}
	r, ok := d.rm.Get(id)
	if !ok {
		return readmodel.Referral{}, errs.Internal("the referral was recorded but cannot be shown yet: reload it in a moment", nil)
	}
	return r, nil
}

// Written is what a command wrote, for callers that do not need the view.
type Written struct {
	ReferralID string
	Repeated   bool
	Position   eventstore.Position
}

// inField moves a value parser's field name under an input path
// ("nhsNumber" → "patient.nhsNumber").
func inField(path string, err error) error {
	if e, ok := errs.As(err); ok && e.Kind == errs.KindInvalidInput {
		return &errs.Error{Kind: e.Kind, Slug: e.Slug, Msg: e.Msg, Field: path}
	}
	return err
}
