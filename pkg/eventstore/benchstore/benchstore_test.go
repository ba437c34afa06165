//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"carecoord/pkg/benchkit"
	"carecoord/pkg/eventstore"
)

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func TestPercentileNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(float64(i + 1)) // 1ms..100ms
	}
	thousand := make([]time.Duration, 1000)
	for i := range thousand {
		thousand[i] = time.Duration(i + 1)
	}
	cases := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"single p50", []time.Duration{ms(7)}, 50, ms(7)},
		{"single p99", []time.Duration{ms(7)}, 99, ms(7)},
		{"two p50 is the lower", []time.Duration{ms(1), ms(9)}, 50, ms(1)},
		{"two p51 is the upper", []time.Duration{ms(1), ms(9)}, 51, ms(9)},
		{"100 p50", hundred, 50, ms(50)},
		{"100 p99 is exactly the 99th", hundred, 99, ms(99)},
		{"100 p99.5 rounds up", hundred, 99.5, ms(100)},
		{"100 p100 is the max", hundred, 100, ms(100)},
		{"100 p0 is the min", hundred, 0, ms(1)},
		{"1000 p99.9", thousand, 99.9, 999},
		{"1000 p99", thousand, 99, 990},
		{"1000 p1", thousand, 1, 10},
		{"3 p50", []time.Duration{1, 2, 3}, 50, 2},
		{"3 p99", []time.Duration{1, 2, 3}, 99, 3},
	}
	for _, c := range cases {
		if got := benchkit.Percentile(c.sorted, c.p); got != c.want {
			t.Errorf("%s: benchkit.Percentile(p=%v) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
}

func TestMean(t *testing.T) {
	if got := mean(nil); got != 0 {
		t.Errorf("mean(nil) = %v", got)
	}
	if got := mean([]time.Duration{ms(1), ms(2), ms(6)}); got != ms(3) {
		t.Errorf("mean = %v, want 3ms", got)
	}
}

func TestFormatLine(t *testing.T) {
	got := formatLine("embedded", 64, 12345.6, ms(1.2345), ms(20), "31.50", 812.4)
	want := "bench-store backend=embedded writers=64 events_per_s=12346 p50_ms=1.234 p99_ms=20.000 events_per_fsync=31.50 fsync_limit_per_s=812"
	if got != want {
		t.Fatalf("line\n got %s\nwant %s", got, want)
	}
	re := regexp.MustCompile(`^bench-store backend=\w+ writers=\d+ events_per_s=\d+ p50_ms=\d+\.\d{2,} p99_ms=\d+\.\d{2,} events_per_fsync=(\d+\.\d+|n/a) fsync_limit_per_s=\d+$`)
	if !re.MatchString(got) || !re.MatchString(formatLine("postgres", 64, 1, 0, 0, "n/a", 0)) {
		t.Fatalf("line does not have the issue's format: %s", got)
	}
}

// memStore enforces expected revisions as a real store does.
type memStore struct {
	mu      sync.Mutex
	heads   map[string]uint64
	ids     map[[16]byte]bool
	delay   time.Duration
	badNext bool // return a wrong NextRevision
	calls   int
}

func newMemStore() *memStore {
	return &memStore{heads: map[string]uint64{}, ids: map[[16]byte]bool{}}
}

func (m *memStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	for _, ev := range events {
		if !json.Valid(ev.Data) {
			return eventstore.AppendResult{}, errors.New("data is not JSON: " + string(ev.Data))
		}
	}
	if m.delay > 0 {
		select {
		case <-time.After(m.delay):
		case <-ctx.Done():
			return eventstore.AppendResult{}, ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	head, exists := m.heads[stream]
	if expected.IsAny() || expected.IsStreamExists() {
		return eventstore.AppendResult{}, errors.New("workload must use NoStream or Exact, got " + expected.String())
	}
	if !expected.Matches(head, exists) {
		return eventstore.AppendResult{}, &eventstore.WrongExpectedVersionError{Stream: stream, Expected: expected, ActualExists: exists, Actual: head}
	}
	for _, ev := range events {
		if m.ids[ev.ID] {
			return eventstore.AppendResult{}, errors.New("event ID reused")
		}
		m.ids[ev.ID] = true
	}
	next := uint64(0)
	if exists {
		next = head + 1
	}
	next += uint64(len(events)) - 1
	m.heads[stream] = next
	if m.badNext {
		next += 5
	}
	return eventstore.AppendResult{NextRevision: next}, nil
}

func TestWorkloadUsesOwnStreamsWithExactRevisions(t *testing.T) {
	m := newMemStore()
	m.delay = time.Millisecond
	w := workload{writers: 8, streamsPerWriter: 4, duration: 300 * time.Millisecond}
	start := time.Now()
	res, err := runWorkload(context.Background(), m, w)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took > w.duration+200*time.Millisecond {
		t.Errorf("run took %v for a %v workload", took, w.duration)
	}
	if res.events == 0 || uint64(m.calls) != res.events {
		t.Fatalf("events %d, store saw %d appends", res.events, m.calls)
	}
	if uint64(len(res.latencies)) != res.events {
		t.Fatalf("%d latencies for %d events", len(res.latencies), res.events)
	}
	for i := 1; i < len(res.latencies); i++ {
		if res.latencies[i] < res.latencies[i-1] {
			t.Fatal("latencies not sorted")
		}
	}
	if res.latencies[0] < time.Millisecond {
		t.Errorf("min latency %v below the store's 1ms delay", res.latencies[0])
	}
	if len(m.heads) != w.writers*w.streamsPerWriter {
		t.Errorf("%d streams written, want %d", len(m.heads), w.writers*w.streamsPerWriter)
	}
	var total uint64
	for _, h := range m.heads {
		total += h + 1
	}
	if total != res.events {
		t.Errorf("stream heads account for %d events, workload counted %d", total, res.events)
	}
	if eps := res.eventsPerSecond(); eps <= 0 {
		t.Errorf("events/s = %v", eps)
	}
}

func TestWorkloadEventIsRealistic(t *testing.T) {
	wr := newWriter(3, 1, time.Second)
	s := &wr.streams[0]
	ev := wr.event(s)
	if ev.Type != "referrals.ReferralReceived.v1" {
		t.Errorf("first event type %q", ev.Type)
	}
	if n := len(ev.Data); n < 150 || n > 300 {
		t.Errorf("payload is %d bytes, want about 200: %s", n, ev.Data)
	}
	var v map[string]any
	if err := json.Unmarshal(ev.Data, &v); err != nil {
		t.Fatalf("payload is not JSON: %v: %s", err, ev.Data)
	}
	if ev.Metadata.CorrelationID == "" || ev.Metadata.Actor == "" || ev.Metadata.OccurredAt.IsZero() {
		t.Errorf("metadata incomplete: %+v", ev.Metadata)
	}
	s.exists, s.head, s.lastEvent = true, 0, ev.ID.String()
	next := wr.event(s)
	if next.Type != "referrals.ReferralUpdated.v1" || next.Metadata.CausationID != ev.ID.String() || next.ID == ev.ID {
		t.Errorf("second event: type %q causation %q", next.Type, next.Metadata.CausationID)
	}
}

type conflictStore struct{ *memStore }

func (c conflictStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	// Another writer gets in first on every stream.
	if _, err := c.memStore.Append(ctx, stream, eventstore.Any, events...); err == nil || !strings.Contains(err.Error(), "NoStream or Exact") {
		return eventstore.AppendResult{}, errors.New("memStore accepted Any")
	}
	return eventstore.AppendResult{}, &eventstore.WrongExpectedVersionError{Stream: stream, Expected: expected}
}

func TestWorkloadFailsOnConflictAndBadRevision(t *testing.T) {
	w := workload{writers: 4, streamsPerWriter: 2, duration: 5 * time.Second}
	start := time.Now()
	_, err := runWorkload(context.Background(), conflictStore{newMemStore()}, w)
	if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("conflict: err = %v", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("a conflict did not stop the run at once")
	}

	m := newMemStore()
	m.badNext = true
	_, err = runWorkload(context.Background(), m, w)
	if err == nil || !strings.Contains(err.Error(), "next revision") {
		t.Fatalf("bad next revision: err = %v", err)
	}
}

func TestWorkloadStopsOnCancel(t *testing.T) {
	m := newMemStore()
	m.delay = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := runWorkload(ctx, m, workload{writers: 4, streamsPerWriter: 2, duration: time.Minute})
	if time.Since(start) > 2*time.Second {
		t.Fatalf("cancelled run took %v", time.Since(start))
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's", err)
	}
}

func TestParseFlags(t *testing.T) {
	dir := t.TempDir()
	parse := func(args ...string) (config, error) {
		return parseFlags(append([]string{"-dir", dir}, args...), io.Discard)
	}
	if _, err := parse("-duration", "5s"); err == nil {
		t.Error("-duration 5s accepted without -short")
	}
	cfg, err := parse("-short", "-backends", "postgres", "-pg-dsn", "postgres://x")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.duration != shortDuration || cfg.backends[0] != "postgres" {
		t.Errorf("-short: duration %v backends %v", cfg.duration, cfg.backends)
	}
	if cfg, err := parse("-short", "-duration", "3s", "-backends", "postgres", "-pg-dsn", "x"); err != nil || cfg.duration != 3*time.Second {
		t.Errorf("-short -duration 3s: %v %v", cfg.duration, err)
	}
	if _, err := parse("-backends", "postgres"); err == nil || !strings.Contains(err.Error(), "-pg-dsn") {
		t.Errorf("postgres without -pg-dsn: err = %v", err)
	}
	if _, err := parse("-backends", "nosuch"); err == nil {
		t.Error("unknown backend accepted")
	}
	if cfg, err := parse("-backends", "postgres", "-pg-dsn", "x"); err != nil || cfg.duration != minDuration || cfg.writers != 64 || cfg.streamsPerWriter != 16 {
		t.Errorf("defaults: %+v %v", cfg, err)
	}
}

func TestFsyncProbe(t *testing.T) {
	res, err := measureFsync(context.Background(), t.TempDir(), 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if res.syncs == 0 || res.elapsed < 50*time.Millisecond || res.perSecond() <= 0 {
		t.Fatalf("probe: %+v", res)
	}
}
