// Command referrals runs the referrals service on its own: its subgraph at
// /graphql behind development-token authentication, /healthz and /readyz (see
// pkg/servicehost for the flags and the data directory). The carecoord binary
// hosts the same service beside the others; this is for working on it alone.
//
//	referrals --data-dir .data/referrals --listen 127.0.0.1:8091 --seed
package main

import (
	"carecoord/pkg/servicehost"
	"carecoord/services/referrals/seed"
	"carecoord/services/referrals/service"
)

var command = servicehost.Command{Name: "referrals", Listen: "127.0.0.1:8091", Setup: servicehost.NoFlags(build)}

func main() { command.Main() }

func build(d servicehost.Deps) (servicehost.Built, error) {
	svc, err := service.New(service.Deps{Store: d.Store, Bus: d.Bus, Localities: d.Localities, Logger: d.Logger})
	if err != nil {
		return servicehost.Built{}, err
	}
	return servicehost.Built{Schema: svc.Subgraph.Schema, Seed: servicehost.DemoSeed(seed.Run, svc, d.Localities)}, nil
}
