package main

import (
	"testing"

	"carecoord/pkg/auth"
	"carecoord/pkg/servicehost/servicehosttest"
)

func TestCommand_serves_the_seeded_subgraph_to_a_signed_in_clinician(t *testing.T) {
	p := servicehosttest.Start(t, command, t.TempDir(), "--seed")
	p.WaitReady(t)
	token := p.Token(t, auth.Viewer{Subject: "u-1", Name: "Nurse", Role: auth.ICTClinician, Localities: []string{"leek"}})

	out := p.Query(t, token, `{ locality(id: "leek") { id referrals { id } summary { referralsOpen } } }`, nil)
	if out.Errors != nil || out.Get("locality", "id") != "leek" {
		t.Fatalf("%+v", out)
	}
	if referrals, _ := out.Get("locality", "referrals").([]any); len(referrals) == 0 {
		t.Fatalf("no seeded referrals: %+v", out)
	}
	if out := p.Query(t, "", `{ referral(id: "x") { id } }`, nil); len(out.Errors) != 1 || out.Code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous: %+v", out)
	}
	if code := p.Stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
