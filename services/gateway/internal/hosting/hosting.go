// Package hosting builds the domain services a carecoord process runs, from
// their names: each service's own constructor, its subgraph and its demo data
// behind one small type, so that the rest of the gateway treats the four
// services alike.
//
// It imports the four services' service, graphql and seed packages and pkg/.
package hosting

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/graphql-go/graphql"
	"go.uber.org/zap"

	"carecoord/pkg/demo"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/locality"
	"carecoord/services/beds/hospitals"
	bedsseed "carecoord/services/beds/seed"
	beds "carecoord/services/beds/service"
	caseloadseed "carecoord/services/caseload/seed"
	caseload "carecoord/services/caseload/service"
	fallsseed "carecoord/services/falls/seed"
	falls "carecoord/services/falls/service"
	"carecoord/services/falls/units"
	referralsseed "carecoord/services/referrals/seed"
	referrals "carecoord/services/referrals/service"
)

// Names lists the services in the order they start and seed: referrals
// before caseload (accepted referrals open episodes), beds and falls after.
var Names = []string{"referrals", "caseload", "beds", "falls"}

// Deps is what every service is built from.
type Deps struct {
	Store      eventstore.Store
	Bus        *eventbus.Bus
	Localities *locality.Registry
	Logger     *zap.Logger
	Now        func() time.Time
	// HospitalsFile and RespondersFile replace the built-in reference data
	// of the beds and falls services ("" keeps it).
	HospitalsFile, RespondersFile string
}

// Service is one hosted domain service.
type Service struct {
	Name string
	// Schema builds the service's own standalone subgraph schema.
	Schema func() (graphql.Schema, error)
	// Federated builds the service's Apollo Federation v2 subgraph schema,
	// which the gateway composes into /graphql.
	Federated func() (graphql.Schema, error)
	// Seed loads demo data through the service's commands.
	Seed func(ctx context.Context, people *demo.People, now time.Time) error
}

// Parse validates a comma-separated list of service names ("all" or empty:
// every service), keeping the start order of Names.
func Parse(list string) ([]string, error) {
	if list == "" || list == "all" {
		return Names, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if !slices.Contains(Names, n) {
			return nil, fmt.Errorf("unknown service %q (known: %s)", n, strings.Join(Names, ", "))
		}
		want[n] = true
	}
	var out []string
	for _, n := range Names {
		if want[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// Build constructs the named services. Each registers its projections and
// reactions on d.Bus, so call it before the bus runs.
func Build(names []string, d Deps) ([]Service, error) {
	var out []Service
	for _, name := range names {
		logger := d.Logger.Named(name)
		switch name {
		case "referrals":
			svc, err := referrals.New(referrals.Deps{Store: d.Store, Bus: d.Bus, Localities: d.Localities, Logger: logger, Now: d.Now})
			if err != nil {
				return nil, fmt.Errorf("referrals: %w", err)
			}
			out = append(out, Service{Name: name, Schema: svc.Subgraph.Schema, Federated: svc.Subgraph.Federated,
				Seed: func(ctx context.Context, p *demo.People, now time.Time) error {
					return referralsseed.Run(ctx, svc, p, now)
				}})
		case "caseload":
			svc, err := caseload.New(caseload.Deps{Store: d.Store, Bus: d.Bus, Localities: d.Localities, Logger: logger, Now: d.Now})
			if err != nil {
				return nil, fmt.Errorf("caseload: %w", err)
			}
			out = append(out, Service{Name: name, Schema: svc.Subgraph.Schema, Federated: svc.Subgraph.Federated,
				Seed: func(ctx context.Context, p *demo.People, now time.Time) error {
					return caseloadseed.Run(ctx, svc, p, now)
				}})
		case "beds":
			var reg *hospitals.Registry
			if d.HospitalsFile != "" {
				r, err := hospitals.Load(d.HospitalsFile)
				if err != nil {
					return nil, fmt.Errorf("hospitals: %w", err)
				}
				reg = r
			}
			svc, err := beds.New(beds.Deps{Store: d.Store, Bus: d.Bus, Localities: d.Localities, Logger: logger, Now: d.Now, Hospitals: reg})
			if err != nil {
				return nil, fmt.Errorf("beds: %w", err)
			}
			out = append(out, Service{Name: name, Schema: svc.Subgraph.Schema, Federated: svc.Subgraph.Federated,
				Seed: func(ctx context.Context, p *demo.People, now time.Time) error { return bedsseed.Run(ctx, svc, p, now) }})
		case "falls":
			var reg *units.Registry
			if d.RespondersFile != "" {
				r, err := units.Load(d.RespondersFile, d.Localities)
				if err != nil {
					return nil, fmt.Errorf("responders: %w", err)
				}
				reg = r
			}
			svc, err := falls.New(falls.Deps{Store: d.Store, Bus: d.Bus, Localities: d.Localities, Logger: logger, Now: d.Now, Units: reg})
			if err != nil {
				return nil, fmt.Errorf("falls: %w", err)
			}
			out = append(out, Service{Name: name, Schema: svc.Subgraph.Schema, Federated: svc.Subgraph.Federated,
				Seed: func(ctx context.Context, p *demo.People, now time.Time) error { return fallsseed.Run(ctx, svc, p, now) }})
		default:
			return nil, fmt.Errorf("unknown service %q", name)
		}
	}
	return out, nil
}
