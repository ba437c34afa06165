// Package app is the beds service's application layer: one file per
// command, each authorising the viewer, validating input into domain values,
// running the domain's decisions against the event store through
// aggregate.Repository, waiting for the read model to show the write, and
// returning the read model's view; and the queries, which read the read
// model and check the viewer's reach again.
//
// The multi-stream commands (allocate, admit, transfer, discharge) are
// sequences of single-stream appends in a fixed order, each step with a
// command ID derived from the client's, so that repeating the command
// resumes it where it stopped (see flow.go and DESIGN.md).
//
// It imports pkg/aggregate, pkg/auth, pkg/errs, pkg/eventstore,
// pkg/locality, pkg/nhsnumber and the service's domain, hospitals and
// readmodel packages.
package app

import (
	"context"
	"time"

	"go.uber.org/zap"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/locality"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/readmodel"
)

// Application is the beds service's commands and queries.
type Application struct {
	Commands *Commands
	Queries  *Queries
}

// Views is what the app reads: the read model.
type Views interface {
	WaitFor(ctx context.Context, pos eventstore.Position) error
	Hospitals() []readmodel.Hospital
	Hospital(id string) (readmodel.Hospital, bool)
	Bed(id string) (readmodel.Bed, bool)
	Occupancy() readmodel.Occupancy
	AwaitingClean(hospitalID string) []readmodel.Bed
	Turnaround(hospitalID string) readmodel.Turnaround
	Request(id string) (readmodel.Request, bool)
	Requests(statuses []domain.RequestStatus, keep func(readmodel.Request) bool) []readmodel.Request
	Stay(id string) (readmodel.Stay, bool)
	StaysOf(nhsNumber string) []readmodel.Stay
	Stays(keep func(readmodel.Stay) bool) []readmodel.Stay
	Summary(localityID string) readmodel.LocalitySummary
	Timeline(nhsNumber string) []readmodel.TimelineEntry
}

// Deps is what the application needs.
type Deps struct {
	Store      eventstore.Store
	Views      Views
	Hospitals  *hospitals.Registry
	Localities *locality.Registry
	Logger     *zap.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// ClaimGrace is how long a bed claim may wait for its bed before
	// another command may abandon it (0: DefaultClaimGrace).
	ClaimGrace time.Duration
}

// DefaultClaimGrace is far longer than any step of an allocation takes, so
// that only a claim whose command died is ever abandoned.
const DefaultClaimGrace = 30 * time.Second

// viewWait bounds how long a command waits for the read model to show its
// write before it answers with what the model has.
const viewWait = 2 * time.Second

// flowTimeout bounds a multi-stream command once its first write is made:
// from then on it runs to the end (or its compensation) even if the caller
// goes away.
const flowTimeout = 15 * time.Second

// New builds the application.
func New(d Deps) *Application {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	if d.ClaimGrace <= 0 {
		d.ClaimGrace = DefaultClaimGrace
	}
	c := &core{
		requests:   aggregate.NewRepository(d.Store, domain.Types, "bedrequest", domain.NewBedRequest),
		beds:       aggregate.NewRepository(d.Store, domain.Types, "bed", domain.NewBed),
		placements: aggregate.NewRepository(d.Store, domain.Types, "placement", domain.NewPlacement),
		views:      d.Views,
		hospitals:  d.Hospitals,
		localities: d.Localities,
		logger:     d.Logger,
		// Business times are kept to the second: what a ward records.
		now:   func() time.Time { return d.Now().UTC().Truncate(time.Second) },
		grace: d.ClaimGrace,
	}
	return &Application{Commands: &Commands{c}, Queries: &Queries{c}}
}

// core is what commands and queries share.
type core struct {
	requests   *aggregate.Repository[*domain.BedRequest]
	beds       *aggregate.Repository[*domain.Bed]
	placements *aggregate.Repository[*domain.Placement]
	views      Views
	hospitals  *hospitals.Registry
	localities *locality.Registry
	logger     *zap.Logger
	now        func() time.Time
	grace      time.Duration
}

// Commands are the service's commands, one file each.
type Commands struct{ *core }

// Queries are the service's queries.
type Queries struct{ *core }

// Now is the application's clock, for views that show ages ("waiting 40
// minutes").
func (q *Queries) Now() time.Time { return q.now() }
