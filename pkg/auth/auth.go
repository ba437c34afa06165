// Package auth is who is asking: the Viewer a verified token describes, the
// roles of ARCHITECTURE.md and what each may reach. The gateway puts the
// Viewer in the request context; every service checks it again before it
// returns patient data or runs a command.
//
// It imports pkg/errs.
package auth

import (
	"context"
	"slices"
	"time"

	"carecoord/pkg/errs"
)

// Role is what a user does.
type Role string

const (
	// ICTClinician: referrals and caseload of their localities.
	ICTClinician Role = "ict_clinician"
	// BedManager: the bed board of every community hospital; patients only as
	// far as their bed requests and stays.
	BedManager Role = "bed_manager"
	// FallsDispatcher: falls incidents and responders county-wide.
	FallsDispatcher Role = "falls_dispatcher"
	// Admin: everything, everywhere.
	Admin Role = "admin"
	// System is carecoord itself: process managers and demo data.
	System Role = "system"
)

// Roles lists the roles a token may carry.
var Roles = []Role{ICTClinician, BedManager, FallsDispatcher, Admin}

// Viewer is the authenticated user.
type Viewer struct {
	// Subject is the user's stable ID (the token's sub); what audit and event
	// metadata record.
	Subject      string
	Name         string
	Role         Role
	Localities   []string
	Organisation string
	// BreakGlassReason, when set, is the reason an ICT clinician gave for
	// opening one patient's records outside their localities (see Opens);
	// the request is audited and flagged. It never widens a list or a
	// command.
	BreakGlassReason string
	// Expires is when the token that vouched for the viewer expires (zero:
	// unknown), so that a verified token is never trusted past it.
	Expires time.Time
}

type viewerKey struct{}

// WithViewer returns ctx carrying v.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// From returns the viewer of ctx.
func From(ctx context.Context) (Viewer, bool) {
	v, ok := ctx.Value(viewerKey{}).(Viewer)
	return v, ok
}

// Require returns the viewer, or UNAUTHENTICATED.
func Require(ctx context.Context) (Viewer, error) {
	v, ok := From(ctx)
	if !ok || v.Subject == "" {
		return Viewer{}, errs.Unauthenticated("sign in: send a bearer token", "no-viewer")
	}
	return v, nil
}

// SystemViewer is the identity of carecoord's own handlers.
func SystemViewer(name string) Viewer {
	return Viewer{Subject: "system:" + name, Name: name, Role: System}
}

// AllLocalities reports whether the viewer reaches every locality.
func (v Viewer) AllLocalities() bool {
	return v.Role == Admin || v.Role == System || v.Role == FallsDispatcher || v.Role == BedManager
}

// Reaches reports whether a locality is within the viewer's own reach:
// their localities (every locality for the county-wide roles). It decides
// lists by locality or county and every command; break-glass never
// widens it.
func (v Viewer) Reaches(locality string) bool {
	if v.AllLocalities() {
		return true
	}
	return slices.Contains(v.Localities, locality)
}

// Opens reports whether the viewer may open one patient's record of a
// locality: a record read by its ID, or the fields of the patient found
// by NHS number. That is their reach, or, with break-glass, any locality
// for an ICT clinician (who may have before them a patient of another
// locality; the county-wide roles reach every locality already, and what
// their role may see of a patient is the service's to decide). Only such
// single-patient reads use it: break-glass opens a patient, never a
// locality's lists, and authorises no command.
func (v Viewer) Opens(locality string) bool {
	return v.Reaches(locality) || (v.BreakGlassReason != "" && v.Role == ICTClinician)
}

// HasRole reports whether the viewer has one of roles (admin and system have
// every role).
func (v Viewer) HasRole(roles ...Role) bool {
	if v.Role == Admin || v.Role == System {
		return true
	}
	return slices.Contains(roles, v.Role)
}

// RequireRole returns the viewer if it has one of roles, else FORBIDDEN.
func RequireRole(ctx context.Context, roles ...Role) (Viewer, error) {
	v, err := Require(ctx)
	if err != nil {
		return v, err
	}
	if !v.HasRole(roles...) {
		return v, errs.Forbidden("your role may not do this", "role")
	}
	return v, nil
}

// RequireLocality returns FORBIDDEN unless the viewer reaches the locality
// (Reaches: no break-glass), for lists and commands.
func (v Viewer) RequireLocality(locality string) error {
	if !v.Reaches(locality) {
		return errs.Forbidden("this record belongs to a locality outside your reach", "locality")
	}
	return nil
}

// RequireOpens returns FORBIDDEN unless the viewer may open a patient's
// record of the locality (Opens: break-glass counts), for single-patient
// reads.
func (v Viewer) RequireOpens(locality string) error {
	if !v.Opens(locality) {
		return errs.Forbidden("this record belongs to a locality outside your reach", "locality")
	}
	return nil
}
