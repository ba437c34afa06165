package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"carecoord/pkg/logging"
)

func get(t *testing.T, h http.Handler, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		for _, vv := range v {
			req.Header.Add(k, vv)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHealthz_is_ok(t *testing.T) {
	rec := get(t, New(Config{}), "/healthz", nil)
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "ok" {
		t.Fatalf("got %d %q, want 200 ok", rec.Code, rec.Body.String())
	}
}

func TestHealthz_rejects_other_methods(t *testing.T) {
	rec := httptest.NewRecorder()
	New(Config{}).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /healthz = %d, want 405", rec.Code)
	}
}

func ok(context.Context) error { return nil }

func TestReadyz_ready_when_every_check_passes(t *testing.T) {
	h := New(Config{Checks: []Check{{"eventstore", ok}, {"subscriptions", ok}}})
	rec := get(t, h, "/readyz", nil)
	var body readiness
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK || body.Status != "ready" || len(body.Failing) != 0 {
		t.Fatalf("got %d %+v, want 200 ready", rec.Code, body)
	}
}

func TestReadyz_names_failing_checks_without_their_errors(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	h := New(Config{
		Logger:       zap.New(core),
		CheckTimeout: 50 * time.Millisecond,
		Checks: []Check{
			{"eventstore", func(context.Context) error { return errors.New("pebble: /secret/path is locked") }},
			{"healthy", ok},
			{"stuck", func(context.Context) error { <-release; return nil }}, // ignores its context
			{"panics", func(context.Context) error { panic("oops") }},
		},
	})
	start := time.Now()
	rec := get(t, h, "/readyz", nil)
	if time.Since(start) > 2*time.Second {
		t.Errorf("probe took %s; the stuck check should have timed out", time.Since(start))
	}
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var body readiness
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if want := []string{"eventstore", "stuck", "panics"}; body.Status != "unavailable" || !slices.Equal(body.Failing, want) {
		t.Errorf("body = %+v, want unavailable %v", body, want)
	}
	if strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("body leaks the check's error: %s", rec.Body.String())
	}
	if n := logs.FilterMessage("readiness check failed").Len(); n != 3 {
		t.Errorf("logged %d failed checks, want 3", n)
	}
}

func TestRequestLog_one_line_per_request_with_correlation_ID(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	var seen string
	h := New(Config{Logger: zap.New(core), GraphQL: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = logging.CorrelationID(r.Context())
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "12345")
	})})

	rec := get(t, h, "/graphql?query=%7Bpatient(nhsNumber%3A%229434765919%22)%7D&variables=secret", http.Header{CorrelationHeader: {"req-42"}})

	if got := rec.Header().Get(CorrelationHeader); got != "req-42" {
		t.Errorf("response %s = %q, want the caller's req-42", CorrelationHeader, got)
	}
	if seen != "req-42" {
		t.Errorf("handler saw correlation ID %q, want req-42", seen)
	}
	entries := logs.All()
	if len(entries) != 1 {
		t.Fatalf("got %d log lines, want 1", len(entries))
	}
	f := entries[0].ContextMap()
	if f["method"] != "GET" || f["path"] != "/graphql" || f["status"] != int64(http.StatusTeapot) ||
		f["bytes"] != int64(5) || f["correlation_id"] != "req-42" {
		t.Errorf("log fields = %v", f)
	}
	if _, ok := f["duration"].(time.Duration); !ok {
		t.Errorf("no duration in %v", f)
	}
	for k, v := range f {
		if s, ok := v.(string); ok && (strings.Contains(s, "9434765919") || strings.Contains(s, "secret")) {
			t.Errorf("log field %s leaks the query string: %q", k, s)
		}
	}
}

func TestRequestLog_generates_a_correlation_ID_when_missing_or_unusable(t *testing.T) {
	for _, sent := range []string{"", "Jane Smith 943 476 5919", strings.Repeat("a", 129), "id\nforged log line"} {
		core, logs := observer.New(zap.InfoLevel)
		rec := get(t, New(Config{Logger: zap.New(core)}), "/healthz", http.Header{CorrelationHeader: {sent}})
		got := rec.Header().Get(CorrelationHeader)
		if _, err := uuid.Parse(got); err != nil {
			t.Errorf("sent %q: response ID %q is not a generated UUID", sent, got)
		}
		if logged := logs.All()[0].ContextMap()["correlation_id"]; logged != got {
			t.Errorf("sent %q: logged %v, responded %q", sent, logged, got)
		}
	}
}

func TestRequestLog_counts_status_of_unrouted_requests(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	rec := get(t, New(Config{Logger: zap.New(core)}), "/nope", nil)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404", rec.Code)
	}
	if got := logs.All()[0].ContextMap()["status"]; got != int64(404) {
		t.Errorf("logged status %v, want 404", got)
	}
}

func TestGraphQL_waits_for_warm_up_then_stays_open(t *testing.T) {
	var ready atomic.Bool
	calls := 0
	h := New(Config{
		GraphQL: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }),
		WarmUp: func() error {
			calls++
			if !ready.Load() {
				return errors.New("projections catching up")
			}
			return nil
		},
	})
	do := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ me { id } }"}`)))
		return rec
	}
	if rec := do(); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"UNAVAILABLE"`) || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("before warm-up: %d %s", rec.Code, rec.Body)
	}
	ready.Store(true)
	if rec := do(); rec.Code != http.StatusOK {
		t.Fatalf("after warm-up: %d", rec.Code)
	}
	ready.Store(false) // once warm, the check is not asked again
	before := calls
	if rec := do(); rec.Code != http.StatusOK || calls != before {
		t.Fatalf("warm gate re-checked: %d, calls %d→%d", rec.Code, before, calls)
	}
}
