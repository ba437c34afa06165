// Package reactions holds the beds service's process managers: handlers of
// other services' published events that run a beds command. The service
// never imports another service's code: each consumed event is declared here
// as the beds service's own copy of the agreed JSON shape.
//
// It imports pkg/auth, pkg/errs, pkg/eventbus and the service's app and
// domain packages.
package reactions
