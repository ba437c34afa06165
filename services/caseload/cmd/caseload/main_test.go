package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"carecoord/pkg/auth"
)

// startCaseload runs the command as main would, reads the address it
// announces, and returns a stop that cancels it and returns its exit code.
func startCaseload(t *testing.T, dir string) (base string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"--data-dir", dir, "--listen", "127.0.0.1:0", "--seed"}, pw, io.Discard)
		pw.Close()
		done <- code
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		cancel()
		t.Fatalf("no address line; exit %d", <-done)
	}
	base = strings.TrimPrefix(lines.Text(), "caseload listening on ")
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return base, func() int { cancel(); return <-done }
}

func post(t *testing.T, base, token, query string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("status %d: %v", res.StatusCode, err)
	}
	return out
}

func TestRun_serves_the_seeded_subgraph_behind_tokens_and_stops_cleanly(t *testing.T) {
	dir := t.TempDir()
	base, stop := startCaseload(t, dir)
	waitHealthy(t, base)

	key, err := auth.LoadOrCreateDevKey(filepath.Join(dir, "dev-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	token, err := key.Issue(auth.Viewer{Subject: "clin-leek-1", Name: "Sam Example", Role: auth.ICTClinician, Localities: []string{"leek"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	out := post(t, base, token, `{ locality(id: "leek") { summary { caseloadSize } caseload { id localityId } } }`)
	if out["errors"] != nil {
		t.Fatalf("%v", out["errors"])
	}
	size := out["data"].(map[string]any)["locality"].(map[string]any)["summary"].(map[string]any)["caseloadSize"].(float64)
	if size == 0 {
		t.Fatalf("no seeded caseload: %v", out)
	}
	out = post(t, base, "", `{ locality(id: "leek") { caseload { id } } }`)
	if errs, _ := out["errors"].([]any); len(errs) == 0 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "UNAUTHENTICATED" {
		t.Fatalf("anonymous: %v", out)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}

	// It starts again on the same data, with the checkpoints it wrote.
	base, stop = startCaseload(t, dir)
	waitHealthy(t, base)
	out = post(t, base, token, `{ locality(id: "leek") { summary { caseloadSize } } }`)
	if got := out["data"].(map[string]any)["locality"].(map[string]any)["summary"].(map[string]any)["caseloadSize"].(float64); got != size {
		t.Fatalf("after a restart: %v caseload, want %v", got, size)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("never healthy")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
