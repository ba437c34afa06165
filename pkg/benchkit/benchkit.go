// Package benchkit holds what carecoord's benchmark commands share: the one
// way latencies are summarised, so that every make bench-* target reports
// percentiles the same way.
//
// It imports only the standard library.
package benchkit

import (
	"math"
	"slices"
	"time"
)

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of samples,
// which it sorts in place: the smallest value such that at least p% of the
// samples are at most it. It is 0 for no samples.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	slices.Sort(samples)
	// p*n/100 first, less a hair, so that float error in p/100 cannot push
	// an exact rank (p99 of 100 values is the 99th) up by one.
	rank := int(math.Ceil(p*float64(len(samples))/100 - 1e-9))
	rank = min(max(rank, 1), len(samples))
	return samples[rank-1]
}

// Millis is a duration in milliseconds, for the one-line reports.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
