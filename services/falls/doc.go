// Package falls is the falls service of carecoord: the 24/7 falls response,
// from the alert through ISTUMBLE triage, 999 escalation or the dispatch of a
// responder unit, to the lift, the outcome and the close, with the patient's
// time on the floor as the measure that matters.
//
// The service follows the shape of ../README.md: domain (aggregates and
// events), units (responder reference data), app (one file per command or
// query), readmodel (the dispatch board), reactions (the dispatch saga and
// the release of units), graphql (the subgraph), service (the wiring), seed
// (demo data) and cmd/falls (the service on its own). DESIGN.md says why a
// dispatch spans two streams and how they are kept consistent.
//
// This package holds no code.
package falls
