package app

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"carecoord/pkg/eventstore/embedded"
	"carecoord/services/gateway/internal/config"
)

func testConfig(t *testing.T) config.Config {
	return config.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", LogLevel: "info", ShutdownTimeout: 5 * time.Second}
}

// running is a Run in progress.
type running struct {
	url    string
	cancel context.CancelFunc
	done   chan error
	logs   *observer.ObservedLogs
}

func startRun(t *testing.T, cfg config.Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	core, logs := observer.New(zap.InfoLevel)
	r := &running{cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() {
		err := Run(ctx, cfg, pw, zap.New(core))
		pw.Close()
		r.done <- err
	}()
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatalf("Run ended before listening: %v", <-r.done)
		}
		url, found := strings.CutPrefix(line, "carecoord listening on ")
		if !found {
			t.Fatalf("first line = %q", line)
		}
		r.url = url
	case <-time.After(10 * time.Second):
		t.Fatal("no listening line within 10s")
	}
	if line := <-lines; !strings.HasPrefix(line, "GraphQL: "+r.url+"/graphql ") {
		t.Errorf("second line = %q", line)
	}
	return r
}

func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for Cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of cancel")
		return nil
	}
}

func TestRun_serves_and_shuts_down_in_order(t *testing.T) {
	cfg := testConfig(t)
	r := startRun(t, cfg)

	res, err := http.Get(r.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %d, want 200", res.StatusCode)
	}

	res, err = http.Post(r.url+"/graphql", "application/json", strings.NewReader(`{"query":"{ serverInfo { version storeBackend } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Data struct {
			ServerInfo struct{ Version, StoreBackend string }
		}
	}
	err = json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if err != nil || body.Data.ServerInfo.StoreBackend != "embedded" || body.Data.ServerInfo.Version == "" {
		t.Errorf("serverInfo = %+v, err %v", body.Data.ServerInfo, err)
	}

	if err := r.stop(t); err != nil {
		t.Fatalf("Run = %v, want nil after a clean shutdown", err)
	}
	var stopped []string
	for _, e := range r.logs.FilterMessage("stopped").All() {
		stopped = append(stopped, e.ContextMap()["component"].(string))
	}
	if want := []string{"http server", "audit writer", "event handlers", "checkpoints", "eventstore"}; !slices.Equal(stopped, want) {
		t.Errorf("stopped %v, want %v", stopped, want)
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(r.url, "http://"), time.Second); err == nil {
		t.Error("still accepting connections after Run returned")
	}
	// The store was closed: it opens again (Pebble locks its directory).
	s, err := embedded.Open(filepath.Join(cfg.DataDir, "eventstore"), embedded.Options{})
	if err != nil {
		t.Fatalf("reopen store: %v", err)
	}
	s.Close()
}

func TestRun_failing_start_closes_what_it_opened(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := testConfig(t)
	cfg.Listen = busy.Addr().String()

	err = Run(context.Background(), cfg, io.Discard, zap.NewNop())
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Run = %v, want a listen error", err)
	}
	s, err := embedded.Open(filepath.Join(cfg.DataDir, "eventstore"), embedded.Options{})
	if err != nil {
		t.Fatalf("store left open after failed start: %v", err)
	}
	s.Close()
}

func TestStoreReadable_fails_once_the_store_is_closed(t *testing.T) {
	s, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	check := storeReadable(s)
	if err := check(context.Background()); err != nil {
		t.Fatalf("open store: %v", err)
	}
	s.Close()
	if err := check(context.Background()); err == nil {
		t.Fatal("closed store passes the readiness check")
	}
}

func TestDialable(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080": "127.0.0.1:8080",
		"0.0.0.0:8080":   "localhost:8080",
		"[::]:9":         "localhost:9",
		"[::1]:9":        "[::1]:9",
	} {
		addr, err := net.ResolveTCPAddr("tcp", in)
		if err != nil {
			t.Fatal(err)
		}
		if got := dialable(addr); got != want {
			t.Errorf("dialable(%s) = %s, want %s", in, got, want)
		}
	}
}
