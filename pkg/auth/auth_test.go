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
	for _, r := range []auth.Role{auth.Admin, auth.FallsDispatcher, auth.BedManager} {
		if !(auth.Viewer{Subject: "u", Role: r}).Reaches("tamworth") {
			t.Fatalf("%s reaches every locality", r)
		}
	}
}

func TestViewer_break_glass_opens_a_patient_never_a_locality(t *testing.T) {
	leek := auth.Viewer{Subject: "u1", Role: auth.ICTClinician, Localities: []string{"leek"}}
	if !leek.Opens("leek") || leek.Opens("tamworth") {
		t.Fatal("without break-glass a clinician opens their own localities' records only")
	}
	if err := leek.RequireOpens("tamworth"); !errs.Is(err, errs.KindForbidden) {
		t.Fatalf("RequireOpens without break-glass: %v", err)
	}
	leek.BreakGlassReason = "patient collapsed in clinic"
	if !leek.Opens("tamworth") || leek.RequireOpens("tamworth") != nil {
		t.Fatal("break-glass opens a patient's record in another locality")
	}
	if leek.Reaches("tamworth") || leek.RequireLocality("tamworth") == nil {
		t.Fatal("break-glass must not widen the clinician's reach (lists, commands)")
	}
	if !leek.Reaches("leek") {
		t.Fatal("break-glass keeps the clinician's own reach")
	}
	// Break-glass is the clinicians': it gives no other role anything.
	for _, r := range []auth.Role{auth.BedManager, auth.FallsDispatcher, auth.Admin} {
		v := auth.Viewer{Subject: "u", Role: r, BreakGlassReason: "x"}
		if v.Opens("tamworth") != v.Reaches("tamworth") {
			t.Fatalf("%s: Opens differs from Reaches with break-glass", r)
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
