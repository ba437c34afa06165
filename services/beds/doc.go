// Package beds is carecoord's community beds service: the bed board of the
// six community hospitals, bed requests (step-up and step-down), allocation,
// admission, transfer, delayed discharge (no criteria to reside) and
// discharge on a Discharge to Assess pathway.
//
// The service's code is in its subpackages: domain (aggregates and events),
// app (commands and queries), readmodel, reactions, graphql (the subgraph),
// service (wiring), seed (demo data), hospitals (reference data) and
// cmd/beds. DESIGN.md explains how the invariants "one patient per bed, one
// bed per patient" hold under concurrency.
package beds
