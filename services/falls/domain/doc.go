// Package domain is the falls response: the incident a fall alert opens, its
// triage against the ISTUMBLE red flags, the responder units dispatched to it,
// the patient's time on the floor and the outcome. Two aggregates keep it:
// Incident (stream "fallincident-<id>") and Responder (stream
// "fallresponder-<unit id>"); DESIGN.md beside the service says why the
// dispatch of a responder spans both and how they are kept consistent.
//
// Command methods check the state machine and return events, or a typed
// error and no events; Apply folds an event into state and never fails.
// Business times are parameters, so tests need no clock.
//
// It imports pkg/aggregate, pkg/errs, pkg/nhsnumber and pkg/postcode; no
// infrastructure.
package domain
