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

func TestCommand_serves_the_hospitals_of_its_hospitals_file(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hospitals.json")
	data := `{"hospitals": [{"id": "test-hospital", "name": "Test Hospital", "town": "Leek", "locality": "leek",
		"wards": [{"id": "test-w1", "name": "Ward 1", "beds": 3, "sideRooms": 1}]}]}`
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	p := servicehosttest.Start(t, command, filepath.Join(dir, "data"), "--hospitals", file)
	p.WaitReady(t)
	token := p.Token(t, auth.Viewer{Subject: "bm-1", Name: "Bed Manager", Role: auth.BedManager})

	out := p.Query(t, token, `{ communityHospitals { id wards { id } } }`, nil)
	hospitals, _ := out.Get("communityHospitals").([]any)
	if out.Errors != nil || len(hospitals) != 1 || hospitals[0].(map[string]any)["id"] != "test-hospital" {
		t.Fatalf("%+v", out)
	}
	if code := p.Stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestCommand_refuses_to_start_without_its_hospitals_file(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"--data-dir", dir, "--listen", "127.0.0.1:0", "--hospitals", filepath.Join(dir, "missing.json")}
	if code := command.Run(context.Background(), args, &stdout, &stderr); code != 1 || stdout.Len() != 0 {
		t.Fatalf("exit %d, stdout %q", code, stdout.String())
	}
}
