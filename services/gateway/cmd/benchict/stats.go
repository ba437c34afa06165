package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"

	"carecoord/pkg/benchkit"
	"carecoord/pkg/eventbus"
)

// latencies are one client's command call durations, by command; a client
// owns its own, so recording takes no lock.
type latencies map[string][]time.Duration

func (l latencies) add(cmd string, d time.Duration) { l[cmd] = append(l[cmd], d) }

func (l latencies) merge(o latencies) {
	for k, v := range o {
		l[k] = append(l[k], v...)
	}
}

func (l latencies) all() []time.Duration {
	var out []time.Duration
	for _, v := range l {
		out = append(out, v...)
	}
	return out
}

// lagRecorder collects, for the consumers it watches, handled minus
// recorded time of every event: the bus's Observe hook.
type lagRecorder struct {
	watch map[string]bool

	mu       sync.Mutex
	lags     map[string][]time.Duration // by consumer
	handling map[string][]time.Duration // handler durations, by consumer
	failed   map[string]int             // handler errors, by consumer
	noTime   int                        // events without a recorded-at time
}

func newLagRecorder(consumers ...string) *lagRecorder {
	r := &lagRecorder{watch: map[string]bool{}, lags: map[string][]time.Duration{},
		handling: map[string][]time.Duration{}, failed: map[string]int{}}
	for _, c := range consumers {
		r.watch[c] = true
	}
	return r
}

func (r *lagRecorder) observe(h eventbus.Handled) {
	if !r.watch[h.Consumer] {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case h.Err != nil:
		r.failed[h.Consumer]++
	case h.RecordedAt.IsZero():
		r.noTime++
	default:
		r.lags[h.Consumer] = append(r.lags[h.Consumer], h.HandledAt.Sub(h.RecordedAt))
		r.handling[h.Consumer] = append(r.handling[h.Consumer], h.Duration)
	}
}

// snapshot copies what was recorded.
func (r *lagRecorder) snapshot() (lags, handling map[string][]time.Duration, failed map[string]int, noTime int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lags, handling, failed = map[string][]time.Duration{}, map[string][]time.Duration{}, map[string]int{}
	for k, v := range r.lags {
		lags[k] = slices.Clone(v)
	}
	for k, v := range r.handling {
		handling[k] = slices.Clone(v)
	}
	for k, v := range r.failed {
		failed[k] = v
	}
	return lags, handling, failed, r.noTime
}

// summary is "n=… p50=… p99=… max=…" in milliseconds; it sorts samples.
func summary(samples []time.Duration) string {
	if len(samples) == 0 {
		return "n=0"
	}
	return fmt.Sprintf("n=%d p50=%.2fms p99=%.2fms max=%.2fms", len(samples),
		benchkit.Millis(benchkit.Percentile(samples, 50)), benchkit.Millis(benchkit.Percentile(samples, 99)), benchkit.Millis(samples[len(samples)-1]))
}

func writeByKey(w io.Writer, title string, m map[string][]time.Duration) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "benchict: %s %-28s %s\n", title, k, summary(m[k]))
	}
}
