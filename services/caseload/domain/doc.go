// Package domain is the ICT caseload: the episode of care an integrated care
// team holds for one patient after it accepted a referral, from allocation to
// a named keyworker to discharge, transfer or death, with the visits, care
// plan versions and MDT discussions that happen inside it.
//
// The Episode aggregate checks the state machine and returns events; Apply
// folds them in and never fails. Business time ("completed at", "admitted
// at") is always passed in, so nothing here reads a clock. Error messages
// name states and fields, never patient data.
//
// It imports pkg/aggregate (the Event interface), pkg/errs and pkg/nhsnumber;
// no infrastructure.
package domain
