// Command beds runs the beds service on its own: its subgraph at /graphql
// behind development-token authentication, /healthz and /readyz (see
// pkg/servicehost for the common flags and the data directory). The carecoord
// binary hosts the same service beside the others; this is for working on it
// by itself and for federation over HTTP.
//
//	go run ./services/beds/cmd/beds --seed     # data in ./.data/beds, port 8093
//	beds --hospitals hospitals.json             # a deployment's reference data
package main

import (
	"flag"

	"carecoord/pkg/servicehost"
	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/seed"
	"carecoord/services/beds/service"
)

var command = servicehost.Command{Name: "beds", Listen: "127.0.0.1:8093", Setup: setup}

func main() { command.Main() }

func setup(fs *flag.FlagSet) servicehost.Build {
	hospitalsFile := fs.String("hospitals", "", "hospital, ward and bed reference data (JSON); the built-in demo data when empty")
	return func(d servicehost.Deps) (servicehost.Built, error) {
		var reg *hospitals.Registry // nil: the built-in demo data
		if *hospitalsFile != "" {
			var err error
			if reg, err = hospitals.Load(*hospitalsFile); err != nil {
				return servicehost.Built{}, err
			}
		}
		svc, err := service.New(service.Deps{Store: d.Store, Bus: d.Bus, Localities: d.Localities, Logger: d.Logger, Hospitals: reg})
		if err != nil {
			return servicehost.Built{}, err
		}
		return servicehost.Built{Schema: svc.Subgraph.Schema, Seed: servicehost.DemoSeed(seed.Run, svc, d.Localities)}, nil
	}
}
