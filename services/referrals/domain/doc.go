// Package domain is the referral aggregate: the referral's state machine
// (received, triaged to accepted/rejected/redirected/information requested,
// waiting, allocated, first contact; withdrawn, cancelled or entered in error),
// its events and value types, with the validation that keeps bad data out of
// the record. Commands check the state machine and return events; Apply only
// applies. Business times come in as arguments, so nothing here reads a clock.
//
// It imports pkg/aggregate (for the Event interface), pkg/errs, pkg/nhsnumber
// and pkg/postcode; no infrastructure.
package domain
