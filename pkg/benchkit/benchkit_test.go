package benchkit_test

import (
	"testing"
	"time"

	"carecoord/pkg/benchkit"
)

func TestPercentile_exact_ranks_are_not_pushed_up_by_float_error(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[len(hundred)-1-i] = time.Duration(i+1) * time.Millisecond // unsorted on purpose
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {99.5, 100 * time.Millisecond}, {100, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := benchkit.Percentile(hundred, c.p); got != c.want {
			t.Errorf("p%v of 1..100ms = %v, want %v", c.p, got, c.want)
		}
	}
	if benchkit.Percentile(nil, 99) != 0 {
		t.Fatal("no samples")
	}
	if benchkit.Millis(1500*time.Microsecond) != 1.5 {
		t.Fatal("millis")
	}
}
