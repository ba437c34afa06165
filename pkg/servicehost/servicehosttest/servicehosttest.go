// Package servicehosttest runs a servicehost.Command in a test as main would,
// on 127.0.0.1 with a free port and a data directory the test chooses, and
// speaks GraphQL to it with tokens signed by the process's development key.
//
// It imports pkg/servicehost and pkg/auth.
package servicehosttest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"carecoord/pkg/auth"
	"carecoord/pkg/servicehost"
)

// Process is a running command.
type Process struct {
	// URL is the base address it announced ("http://127.0.0.1:PORT").
	URL     string
	DataDir string

	cancel context.CancelFunc
	done   chan int
	once   sync.Once
	code   int
}

// Start runs c with --data-dir dataDir --listen 127.0.0.1:0 --log-level warn
// and then args (which may override them), and returns once it has announced
// its address. Its logs go to the test's output; the test's cleanup stops it.
func Start(t testing.TB, c servicehost.Command, dataDir string, args ...string) *Process {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &Process{DataDir: dataDir, cancel: cancel, done: make(chan int, 1)}
	args = append([]string{"--data-dir", dataDir, "--listen", "127.0.0.1:0", "--log-level", "warn"}, args...)
	pr, pw := io.Pipe()
	logs := t.Output()
	go func() {
		code := c.Run(ctx, args, pw, logs)
		pw.Close()
		p.done <- code
	}()
	t.Cleanup(func() { p.Stop() })

	first := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(pr)
		lines.Scan()
		first <- lines.Text()
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case line := <-first:
		url, ok := strings.CutPrefix(line, c.Name+" listening on ")
		if !ok {
			t.Fatalf("%s: first line %q; exit %d", c.Name, line, p.Stop())
		}
		p.URL = url
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s never announced its address", c.Name)
	}
	return p
}

// Stop cancels the process's context (as SIGTERM would) and returns its exit
// status; later calls return the same.
func (p *Process) Stop() int {
	p.once.Do(func() {
		p.cancel()
		p.code = <-p.done
	})
	return p.code
}

// WaitReady waits until /readyz answers 200.
func (p *Process) WaitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(p.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Token is a bearer token for v, signed with the process's development key.
func (p *Process) Token(t testing.TB, v auth.Viewer) string {
	t.Helper()
	key, err := auth.LoadOrCreateDevKey(filepath.Join(p.DataDir, "dev-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	token, err := key.Issue(v, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// Result is a GraphQL response.
type Result struct {
	Status int
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// Code is the first error's extensions.code ("" when there is none).
func (r Result) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	code, _ := r.Errors[0].Extensions["code"].(string)
	return code
}

// Get follows keys down Data (nil when one is missing).
func (r Result) Get(keys ...string) any {
	var v any = r.Data
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// Query POSTs query with variables (may be nil) to /graphql, with token when
// it is not empty.
func (p *Process) Query(t testing.TB, token, query string, variables map[string]any) Result {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, p.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := Result{Status: res.StatusCode}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("status %d: %v", res.StatusCode, err)
	}
	return out
}
