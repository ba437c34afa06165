package kurrentdb

import (
	"context"
	"testing"
	"time"

	"carecoord/pkg/eventstore"
)

func TestCursorDeliversEachMatchingEventOnceInOrder(t *testing.T) {
	c := cursor{last: eventstore.Start, filter: eventstore.Filter{StreamPrefixes: []string{"beds-"}}, interval: 1000}
	steps := []struct {
		off         uint64
		stream, typ string
		want        action
	}{
		{100, "beds-1", "beds.BedClosed.v1", actionDeliver},
		{100, "beds-1", "beds.BedClosed.v1", actionDuplicate}, // redelivered after a reconnect
		{50, "beds-0", "beds.BedClosed.v1", actionDuplicate},  // before the cursor
		{200, "falls-1", "falls.FallReported.v1", actionNone},
		{300, "beds-1", "$streamDeleted", actionNone}, // server's tombstone record
		{400, "$$beds-1", "$metadata", actionNone},    // server's metadata record
		{500, "beds-2", "beds.BedClosed.v1", actionDeliver},
	}
	for i, st := range steps {
		if got := c.observe(fromLog(st.off), st.stream, st.typ); got != st.want {
			t.Fatalf("step %d (%s@%d): %v, want %v", i, st.stream, st.off, got, st.want)
		}
	}
	if c.last != fromLog(500) {
		t.Fatalf("cursor at %d, want %d", c.last, fromLog(500))
	}
}

func TestCursorSystemStreamsOnlyWithASystemPrefix(t *testing.T) {
	all := cursor{interval: 1000}
	if got := all.observe(fromLog(1), "$parked-caseload", "referrals.ReferralMade.v1"); got != actionNone {
		t.Fatalf("zero filter delivered a carecoord system stream: %v", got)
	}
	parked := cursor{filter: eventstore.Filter{StreamPrefixes: []string{"$parked-"}}, interval: 1000}
	if got := parked.observe(fromLog(1), "$parked-caseload", "referrals.ReferralMade.v1"); got != actionDeliver {
		t.Fatalf("$parked- filter did not deliver a parked event: %v", got)
	}
}

func TestCursorAfterPositionIsExclusive(t *testing.T) {
	// After an event's position, and after position+1 (the "strictly after"
	// idiom), the event itself is a duplicate and the next one is delivered.
	for _, after := range []eventstore.Position{fromLog(4096), fromLog(4096) + 1} {
		c := cursor{last: after, interval: 1000}
		if got := c.observe(fromLog(4096), "s", "t.T.v1"); got != actionDuplicate {
			t.Fatalf("after %d: the event at 4096 gave %v", after, got)
		}
		if got := c.observe(fromLog(4200), "s", "t.T.v1"); got != actionDeliver {
			t.Fatalf("after %d: the event at 4200 gave %v", after, got)
		}
	}
}

func TestCursorCheckpointsAfterIntervalWithoutMatch(t *testing.T) {
	c := cursor{filter: eventstore.Filter{EventTypes: []string{"wanted.W.v1"}}, interval: 3}
	var got []action
	for i, typ := range []string{"x.X.v1", "x.X.v1", "x.X.v1", "x.X.v1", "wanted.W.v1", "x.X.v1", "x.X.v1", "x.X.v1"} {
		got = append(got, c.observe(fromLog(uint64(i+1)*10), "s-1", typ))
	}
	want := []action{actionNone, actionNone, actionCheckpoint, actionNone, actionDeliver, actionNone, actionNone, actionCheckpoint}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("actions %v, want %v", got, want)
		}
	}
}

func TestCursorServerCheckpoints(t *testing.T) {
	c := cursor{filter: eventstore.Filter{EventTypes: []string{"wanted.W.v1"}}, interval: 2}
	c.observe(fromLog(10), "s", "x.X.v1") // one unmatched event counted
	if !c.checkpoint(fromLog(50)) {
		t.Fatal("a checkpoint ahead of the cursor was not news")
	}
	if c.last != fromLog(50) {
		t.Fatalf("cursor at %d after a checkpoint at %d", c.last, fromLog(50))
	}
	if c.checkpoint(fromLog(50)) || c.checkpoint(fromLog(40)) {
		t.Fatal("a checkpoint at or before the cursor was news")
	}
	// The checkpoint reset the count of unmatched events.
	if got := c.observe(fromLog(60), "s", "x.X.v1"); got != actionNone {
		t.Fatalf("first unmatched event after a checkpoint: %v", got)
	}
	if got := c.observe(fromLog(45), "s", "wanted.W.v1"); got != actionDuplicate {
		t.Fatalf("an event behind a checkpoint was not a duplicate: %v", got)
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{min: time.Millisecond, max: 4 * time.Millisecond}
	ctx := context.Background()
	var delays []time.Duration
	for range 5 {
		if !b.wait(ctx) {
			t.Fatal("wait returned false with a live context")
		}
		delays = append(delays, b.cur)
	}
	want := []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond}
	for i := range want {
		if delays[i] != want[i] {
			t.Fatalf("delays %v, want %v", delays, want)
		}
	}
	b.reset()
	b.wait(ctx)
	if b.cur != time.Millisecond {
		t.Fatalf("after reset the delay is %s", b.cur)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	slow := backoff{min: time.Hour, max: time.Hour}
	if slow.wait(cancelled) {
		t.Fatal("wait returned true with a cancelled context")
	}
}
