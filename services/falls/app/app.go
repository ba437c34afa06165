// Package app is the falls service's use cases: one file per command or
// query. A command authorises the viewer, validates input into domain
// values, runs the aggregate's decision through its repository (nothing is
// written when it fails) and waits, briefly, for the dispatch board to show
// the change, so that the caller reads its own write. A query reads the
// board and checks the viewer's reach again.
//
// It imports the falls domain, readmodel and units, pkg/aggregate, pkg/auth,
// pkg/errs, pkg/eventstore, pkg/locality, pkg/nhsnumber and zap.
package app

import (
	"context"
	"strings"
	"time"

	"go.uber.org/zap"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/audit"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/pkg/locality"
	"carecoord/services/falls/domain"
	"carecoord/services/falls/readmodel"
	"carecoord/services/falls/units"
)

// Application is what the ports call.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change falls incidents and units.
type Commands struct{ c *core }

// Queries read the dispatch board.
type Queries struct{ c *core }

// Repository is what a command needs of an aggregate's repository
// (aggregate.Repository implements it).
type Repository[S aggregate.State] interface {
	Load(ctx context.Context, id string) (S, int64, error)
	Execute(ctx context.Context, id string, cmd aggregate.Command, decide aggregate.Decide[S]) (aggregate.Result[S], error)
}

// Config is what the application is built from.
type Config struct {
	Incidents  Repository[*domain.Incident]
	Responders Repository[*domain.Responder]
	Board      *readmodel.Board
	Units      *units.Registry
	Localities *locality.Registry
	Logger     *zap.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// SettleTimeout bounds how long a command waits for the board to show
	// its change (default 2s); ConfirmTimeout how long a dispatch waits for
	// the incident to take the unit (default 5s).
	SettleTimeout  time.Duration
	ConfirmTimeout time.Duration
}

type core struct {
	Config
}

// New builds the application.
func New(cfg Config) *Application {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.SettleTimeout <= 0 {
		cfg.SettleTimeout = 2 * time.Second
	}
	if cfg.ConfirmTimeout <= 0 {
		cfg.ConfirmTimeout = 5 * time.Second
	}
	c := &core{Config: cfg}
	return &Application{Commands: Commands{c}, Queries: Queries{c}}
}

// now is the clock, in UTC, to the second: the resolution of every time the
// service records and shows.
func (c *core) now() time.Time { return c.Now().UTC().Truncate(time.Second) }

// settle waits until the board has applied a stream up to version (the
// head revision a command's result reports, also for a repeated command,
// which appends nothing). A board that falls behind is logged, not failed:
// the change is recorded, and the caller sees it on its next read.
func (c *core) settle(ctx context.Context, applied func() int64, version int64) {
	if version < 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, c.SettleTimeout)
	defer cancel()
	if err := c.Board.WaitUntil(ctx, func() bool { return applied() >= version }); err != nil {
		c.Logger.Warn("falls board behind a command's write", zap.Int64("revision", version), zap.Error(err))
	}
}

// settleIncident waits for the board to show an incident at version.
func (c *core) settleIncident(ctx context.Context, id string, version int64) {
	c.settle(ctx, func() int64 {
		inc, ok := c.Board.Incident(id)
		if !ok {
			return -1
		}
		return int64(inc.Revision)
	}, version)
}

// settleResponder waits for the board to show a unit at version.
func (c *core) settleResponder(ctx context.Context, id string, version int64) {
	c.settle(ctx, func() int64 { return c.Board.Responder(id).Revision }, version)
}

// dispatcher is the viewer of a command: falls dispatchers (and admins)
// run the falls response county-wide.
func dispatcher(ctx context.Context) (auth.Viewer, error) {
	return auth.RequireRole(ctx, auth.FallsDispatcher)
}

// system is the viewer of the commands only carecoord's own reactions run.
func system(ctx context.Context) (auth.Viewer, error) {
	return auth.RequireRole(ctx, auth.System)
}

// reader is the viewer of a query: dispatchers county-wide; ICT clinicians
// for their own localities' patients (checked per incident).
func reader(ctx context.Context) (auth.Viewer, error) {
	return auth.RequireRole(ctx, auth.FallsDispatcher, auth.ICTClinician)
}

func required(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", errs.Invalid(field, "is required", "required")
	}
	return v, nil
}

// at reads an optional business time: empty is now.
func at(field, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return now, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errs.Invalid(field, "must be an RFC 3339 time such as 2026-11-23T09:30:00Z", "time-format")
	}
	return t.UTC().Truncate(time.Second), nil
}

var errIncidentNotFound = errs.NotFound("no such fall incident", "incident-not-found")

// incidentStep runs one step of an incident's lifecycle as the dispatcher
// and returns the incident as the board then shows it.
func (c *core) incidentStep(ctx context.Context, commandID, incidentID string,
	decide func(i *domain.Incident, v auth.Viewer, now time.Time) ([]aggregate.Event, error),
) (FallView, aggregate.Result[*domain.Incident], error) {
	v, err := dispatcher(ctx)
	if err != nil {
		return FallView{}, aggregate.Result[*domain.Incident]{}, err
	}
	id, err := required("incidentId", incidentID)
	if err != nil {
		return FallView{}, aggregate.Result[*domain.Incident]{}, err
	}
	// Loading first finds the locality the events are filed under and
	// answers NOT_FOUND before anything else is checked.
	cur, version, err := c.Incidents.Load(ctx, id)
	if err != nil {
		return FallView{}, aggregate.Result[*domain.Incident]{}, err
	}
	if version < 0 {
		return FallView{}, aggregate.Result[*domain.Incident]{}, errIncidentNotFound
	}
	now := c.now()
	res, err := c.Incidents.Execute(ctx, id, aggregate.Command{ID: commandID, Actor: v.Subject, Locality: cur.Locality(), At: now},
		func(i *domain.Incident, exists bool) ([]aggregate.Event, error) {
			if !exists {
				return nil, errIncidentNotFound
			}
			return decide(i, v, now)
		})
	if err != nil {
		return FallView{}, res, err
	}
	c.settleIncident(ctx, id, res.Version)
	view, err := c.incidentView(ctx, id)
	return view, res, err
}

// incidentView is an incident as the board shows it now.
func (c *core) incidentView(ctx context.Context, id string) (FallView, error) {
	inc, ok := c.Board.Incident(id)
	if !ok {
		// Recorded, but the board has not caught up within the wait.
		return FallView{}, errs.Internal("the change is recorded but not yet shown: reload in a moment", nil)
	}
	view := newFallView(inc, c.now())
	touch(ctx, view)
	return view, nil
}

// touch records that the incidents' patients are shown (see pkg/audit); an
// incident whose patient is not yet identified touches no one.
func touch(ctx context.Context, fs ...FallView) {
	for _, f := range fs {
		audit.Touch(ctx, f.Patient.NHSNumber.String())
	}
}
