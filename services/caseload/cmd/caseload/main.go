// Command caseload runs the caseload service on its own: its subgraph at
// /graphql behind development-token authentication, /healthz and /readyz (see
// pkg/servicehost for the flags and the data directory). The carecoord binary
// hosts the same service with the others; this is for working on caseload
// alone, and for running it as a separate process behind a gateway that
// federates over HTTP.
//
//	caseload --data-dir .data/caseload --listen 127.0.0.1:8092 --seed
package main

import (
	"carecoord/pkg/servicehost"
	"carecoord/services/caseload/seed"
	"carecoord/services/caseload/service"
)

var command = servicehost.Command{Name: "caseload", Listen: "127.0.0.1:8092", Setup: servicehost.NoFlags(build)}

func main() { command.Main() }

func build(d servicehost.Deps) (servicehost.Built, error) {
	svc, err := service.New(service.Deps{Store: d.Store, Bus: d.Bus, Localities: d.Localities, Logger: d.Logger})
	if err != nil {
		return servicehost.Built{}, err
	}
	return servicehost.Built{Schema: svc.Subgraph.Schema, Seed: servicehost.DemoSeed(seed.Run, svc, d.Localities)}, nil
}
