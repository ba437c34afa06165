// Package service is the one place that wires the beds service: reference
// data, the read model (registered as a projection on the bus), the
// application, the reaction to the falls service's outcomes and the GraphQL
// subgraph. New is what the carecoord binary calls; NewForTest runs the
// service on a real embedded store for component tests.
//
// It imports pkg/eventbus, pkg/eventstore, pkg/locality and every package of
// the service.
package service

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/locality"

	"carecoord/services/beds/app"
	bedsgraphql "carecoord/services/beds/graphql"
	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/reactions"
	"carecoord/services/beds/readmodel"
)

// Deps is what the service needs from its host.
type Deps struct {
	Store eventstore.Store
	// Bus gets the service's projection and reactions; the caller runs it
	// afterwards.
	Bus        *eventbus.Bus
	Localities *locality.Registry
	Logger     *zap.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Hospitals is the reference data (nil: the built-in demo data).
	Hospitals *hospitals.Registry
	// ClaimGrace overrides app.DefaultClaimGrace (tests).
	ClaimGrace time.Duration
}

// Service is the wired beds service.
type Service struct {
	App      *app.Application
	Subgraph bedsgraphql.Subgraph
	// Views is the read model, for hosts that report readiness.
	Views *readmodel.Model
	// Hospitals is the reference data the service runs on.
	Hospitals *hospitals.Registry
}

// New wires the service and registers its handlers on the bus. A schema or
// reference-data error stops start-up.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Bus == nil {
		return nil, errors.New("beds: a store and a bus are required")
	}
	if d.Localities == nil {
		d.Localities = locality.Default()
	}
	if d.Hospitals == nil {
		d.Hospitals = hospitals.Default()
	}
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	logger := d.Logger.Named("beds")
	for _, h := range d.Hospitals.Hospitals() {
		if _, ok := d.Localities.Get(locality.ID(h.Locality)); !ok {
			return nil, fmt.Errorf("beds: hospital %s is in locality %q, which the locality data does not have", h.ID, h.Locality)
		}
	}
	views := readmodel.New(d.Hospitals)
	if err := d.Bus.AddProjection(readmodel.Name, views.Handlers()...); err != nil {
		return nil, fmt.Errorf("beds: register the read model: %w", err)
	}
	application := app.New(app.Deps{
		Store: d.Store, Views: views, Hospitals: d.Hospitals, Localities: d.Localities,
		Logger: logger, Now: d.Now, ClaimGrace: d.ClaimGrace,
	})
	if err := d.Bus.AddHandlers(reactions.RaiseBedRequestOnFallOutcomeName,
		reactions.RaiseBedRequestOnFallOutcome(application.Commands, logger)); err != nil {
		return nil, fmt.Errorf("beds: register the falls reaction: %w", err)
	}
	sg := bedsgraphql.New(application)
	if _, err := sg.Schema(); err != nil {
		return nil, err
	}
	return &Service{App: application, Subgraph: sg, Views: views, Hospitals: d.Hospitals}, nil
}
