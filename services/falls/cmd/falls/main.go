// Command falls runs the falls service on its own: its subgraph at /graphql
// behind development-token authentication, /healthz and /readyz (see
// pkg/servicehost for the common flags and the data directory). Get a token
// with `carecoord token --data-dir <the same dir> --role falls_dispatcher`.
//
//	falls --data-dir .data/falls --listen 127.0.0.1:8094 --seed
//	falls --units-file units.json     # a deployment's responder units
package main

import (
	"flag"

	"carecoord/pkg/servicehost"
	"carecoord/services/falls/seed"
	"carecoord/services/falls/service"
	"carecoord/services/falls/units"
)

var command = servicehost.Command{Name: "falls", Listen: "127.0.0.1:8094", Setup: setup}

func main() { command.Main() }

func setup(fs *flag.FlagSet) servicehost.Build {
	unitsFile := fs.String("units-file", "", "falls responder units (JSON, the shape of units/data/units.json); empty: the built-in demo units")
	return func(d servicehost.Deps) (servicehost.Built, error) {
		var reg *units.Registry // nil: the built-in demo units
		if *unitsFile != "" {
			var err error
			if reg, err = units.Load(*unitsFile, d.Localities); err != nil {
				return servicehost.Built{}, err
			}
		}
		svc, err := service.New(service.Deps{Store: d.Store, Bus: d.Bus, Localities: d.Localities, Logger: d.Logger, Units: reg})
		if err != nil {
			return servicehost.Built{}, err
		}
		return servicehost.Built{Schema: svc.Subgraph.Schema, Seed: servicehost.DemoSeed(seed.Run, svc, d.Localities)}, nil
	}
}
