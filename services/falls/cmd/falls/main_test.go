package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"carecoord/pkg/auth"
	"carecoord/pkg/servicehost/servicehosttest"
)

func TestCommand_serves_the_responders_of_its_units_file(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "units.json")
	data := `{"units": [{"id": "test-1", "callSign": "TEST 1", "baseLocality": "leek", "level": "LEVEL_2"}]}`
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	p := servicehosttest.Start(t, command, filepath.Join(dir, "data"), "--units-file", file)
	p.WaitReady(t)
	token := p.Token(t, auth.Viewer{Subject: "fd-1", Name: "Dispatcher", Role: auth.FallsDispatcher})

	out := p.Query(t, token, `{ responders { id callSign level } }`, nil)
	responders, _ := out.Get("responders").([]any)
	if out.Errors != nil || len(responders) != 1 || responders[0].(map[string]any)["callSign"] != "TEST 1" {
		t.Fatalf("%+v", out)
	}
	if code := p.Stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestCommand_refuses_a_units_file_with_an_unknown_locality(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "units.json")
	data := `{"units": [{"id": "test-1", "callSign": "TEST 1", "baseLocality": "atlantis", "level": "LEVEL_1"}]}`
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"--data-dir", dir, "--listen", "127.0.0.1:0", "--units-file", file}
	if code := command.Run(context.Background(), args, &stdout, &stderr); code != 1 || stdout.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout.String(), stderr.String())
	}
}
