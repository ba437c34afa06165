package main

import (
	"testing"

	"carecoord/pkg/auth"
	"carecoord/pkg/servicehost/servicehosttest"
)

func TestCommand_serves_the_seeded_subgraph_behind_tokens_and_restarts_on_its_data(t *testing.T) {
	dir := t.TempDir()
	p := servicehosttest.Start(t, command, dir, "--seed")
	p.WaitReady(t)
	token := p.Token(t, auth.Viewer{Subject: "clin-leek-1", Name: "Sam Example", Role: auth.ICTClinician, Localities: []string{"leek"}})

	out := p.Query(t, token, `{ locality(id: "leek") { summary { caseloadSize } caseload { id localityId } } }`, nil)
	if out.Errors != nil {
		t.Fatalf("%+v", out.Errors)
	}
	size, _ := out.Get("locality", "summary", "caseloadSize").(float64)
	if size == 0 {
		t.Fatalf("no seeded caseload: %+v", out)
	}
	if out := p.Query(t, "", `{ locality(id: "leek") { caseload { id } } }`, nil); out.Code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous: %+v", out)
	}
	if code := p.Stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}

	// It starts again on the same data, with the checkpoints it wrote, and
	// seeding again adds nothing.
	p = servicehosttest.Start(t, command, dir, "--seed")
	p.WaitReady(t)
	out = p.Query(t, token, `{ locality(id: "leek") { summary { caseloadSize } } }`, nil)
	if got := out.Get("locality", "summary", "caseloadSize"); got != size {
		t.Fatalf("after a restart: %v caseload, want %v", got, size)
	}
	if code := p.Stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
