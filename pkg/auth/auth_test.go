package auth_test

import (
	"context"
	"testing"

	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
)

func TestViewer_reach_by_role(t *testing.T) {
	leek := auth.Viewer{Subject: "u1", Role: auth.ICTClinician, Localities: []string{"leek"}}
	if !leek.Reaches("leek") || leek.Reaches("tamworth") {
		t.Fatal("an ICT clinician reaches their own localities only")
	}
	leek.BreakGlassReason = "patient collapsed in clinic"
	if !leek.Reaches("tamworth") {
		t.Fatal("break-glass grants the request")
	}
	for _, r := range []auth.Role{auth.Admin, auth.FallsDispatcher, auth.BedManager} {
		if !(auth.Viewer{Subject: "u", Role: r}).Reaches("tamworth") {
			t.Fatalf("%s reaches every locality", r)
		}
	}
}

func TestRequireRole(t *testing.T) {
	ctx := auth.WithViewer(context.Background(), auth.Viewer{Subject: "u", Role: auth.BedManager})
	if _, err := auth.RequireRole(ctx, auth.ICTClinician); !errs.Is(err, errs.KindForbidden) {
		t.Fatalf("bed manager acting as clinician: %v", err)
	}
	if _, err := auth.RequireRole(ctx, auth.BedManager); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.RequireRole(context.Background(), auth.Admin); !errs.Is(err, errs.KindUnauthenticated) {
		t.Fatalf("no viewer: %v", err)
	}
}
