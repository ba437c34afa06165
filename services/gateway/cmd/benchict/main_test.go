package main

import (
	"errors"
	"io"
	"testing"
	"time"

	"carecoord/pkg/benchkit"
	"carecoord/pkg/eventbus"
)

func durations(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestPercentile_is_the_nearest_rank(t *testing.T) {
	// 1..100 ms, shuffled: the p-th percentile is p ms.
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration((i*37)%100+1)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.5, time.Millisecond}} {
		if got := benchkit.Percentile(s, c.p); got != c.want {
			t.Errorf("benchkit.Percentile(1..100ms, %v) = %v, want %v", c.p, got, c.want)
		}
	}
}

func TestPercentile_of_few_samples_rounds_the_rank_up(t *testing.T) {
	// Ten samples: the 99th percentile is the 10th (largest), the 50th the
	// 5th; never an interpolation between two.
	s := durations(9, 1, 8, 2, 7, 3, 6, 4, 5, 10)
	if got := benchkit.Percentile(s, 99); got != 10*time.Millisecond {
		t.Errorf("p99 = %v, want 10ms", got)
	}
	if got := benchkit.Percentile(s, 50); got != 5*time.Millisecond {
		t.Errorf("p50 = %v, want 5ms", got)
	}
	if got := benchkit.Percentile(durations(3), 99); got != 3*time.Millisecond {
		t.Errorf("p99 of one sample = %v, want 3ms", got)
	}
	if got := benchkit.Percentile(nil, 99); got != 0 {
		t.Errorf("p99 of no samples = %v, want 0", got)
	}
}

func TestLagRecorder_keeps_only_the_watched_consumers_successes(t *testing.T) {
	r := newLagRecorder("a.ReadModel")
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	r.observe(eventbus.Handled{Consumer: "a.ReadModel", RecordedAt: at, HandledAt: at.Add(3 * time.Millisecond), Duration: time.Millisecond})
	r.observe(eventbus.Handled{Consumer: "a.ReadModel", RecordedAt: at, HandledAt: at.Add(time.Second), Err: errors.New("boom")})
	r.observe(eventbus.Handled{Consumer: "a.ReadModel", HandledAt: at})
	r.observe(eventbus.Handled{Consumer: "b.Reaction", RecordedAt: at, HandledAt: at.Add(time.Hour)})
	lags, handling, failed, noTime := r.snapshot()
	if len(lags) != 1 || len(lags["a.ReadModel"]) != 1 || lags["a.ReadModel"][0] != 3*time.Millisecond {
		t.Errorf("lags = %v, want a.ReadModel: [3ms]", lags)
	}
	if len(handling["a.ReadModel"]) != 1 || handling["a.ReadModel"][0] != time.Millisecond {
		t.Errorf("handling = %v, want a.ReadModel: [1ms]", handling)
	}
	if failed["a.ReadModel"] != 1 || len(failed) != 1 {
		t.Errorf("failed = %v, want a.ReadModel: 1", failed)
	}
	if noTime != 1 {
		t.Errorf("noTime = %d, want 1", noTime)
	}
}

func TestParseFlags_refuses_a_short_duration_unless_short(t *testing.T) {
	if _, err := parseFlags([]string{"-duration", "5s"}, io.Discard); err == nil {
		t.Error("-duration 5s accepted without -short")
	}
	cfg, err := parseFlags([]string{"-short"}, io.Discard)
	if err != nil || cfg.duration != shortDuration || cfg.clients != 16 {
		t.Errorf("-short: %+v, %v; want 2s and 16 clients", cfg, err)
	}
	cfg, err = parseFlags([]string{"-short", "-duration", "500ms", "-clients", "4"}, io.Discard)
	if err != nil || cfg.duration != 500*time.Millisecond || cfg.clients != 4 {
		t.Errorf("-short -duration 500ms -clients 4: %+v, %v", cfg, err)
	}
	cfg, err = parseFlags(nil, io.Discard)
	if err != nil || cfg.duration != minDuration {
		t.Errorf("defaults: %+v, %v; want 10s", cfg, err)
	}
	if _, err := parseFlags([]string{"-clients", "0"}, io.Discard); err == nil {
		t.Error("-clients 0 accepted")
	}
}
