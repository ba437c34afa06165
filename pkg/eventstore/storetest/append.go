package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
)

func testAppendAndReadStream(t *testing.T, b Backend) {
	s, p := open(t, b)
	stream := p + "a"
	r1 := mustAppend(t, s, stream, eventstore.NoStream, ev("test.Happened.v1", stream, 0))
	if r1.NextRevision != 0 {
		t.Fatalf("first append: next revision %d, want 0", r1.NextRevision)
	}
	r2 := mustAppend(t, s, stream, eventstore.Exact(0), ev("test.Happened.v1", stream, 1), ev("test.Happened.v1", stream, 2))
	if r2.NextRevision != 2 {
		t.Fatalf("second append: next revision %d, want 2", r2.NextRevision)
	}
	if r2.Position <= r1.Position {
		t.Fatalf("positions did not grow: %d then %d", r1.Position, r2.Position)
	}
	evs := readStream(t, s, stream)
	if len(evs) != 3 {
		t.Fatalf("read %d events, want 3", len(evs))
	}
	for i, e := range evs {
		if e.Revision != uint64(i) || e.Stream != stream || e.Type != "test.Happened.v1" {
			t.Fatalf("event %d: stream %s revision %d type %s", i, e.Stream, e.Revision, e.Type)
		}
		if e.RecordedAt.IsZero() {
			t.Fatalf("event %d has no recorded-at time", i)
		}
		if i > 0 && e.Position <= evs[i-1].Position {
			t.Fatalf("stream positions not increasing: %d then %d", evs[i-1].Position, e.Position)
		}
	}
	if evs[2].Position != r2.Position {
		t.Fatalf("last event at position %d, append said %d", evs[2].Position, r2.Position)
	}
	back, err := s.ReadStream(ctxT(t), stream, eventstore.StreamEnd, eventstore.Backwards, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[0].Revision != 2 || back[1].Revision != 1 {
		t.Fatalf("backwards read gave %d events starting at revision %v", len(back), revisions(back))
	}
	mid, err := s.ReadStream(ctxT(t), stream, 1, eventstore.Forwards, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(mid) != 1 || mid[0].Revision != 1 {
		t.Fatalf("read from revision 1 gave revisions %v", revisions(mid))
	}
	fromMid, err := s.ReadStream(ctxT(t), stream, 1, eventstore.Backwards, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := revisions(fromMid); len(got) != 2 || got[0] != 1 || got[1] != 0 {
		t.Fatalf("backwards from revision 1 gave %v, want [1 0]", got)
	}
	past, err := s.ReadStream(ctxT(t), stream, 3, eventstore.Forwards, 10)
	if err != nil || len(past) != 0 {
		t.Fatalf("read past the end: %d events, err %v; want none and no error", len(past), err)
	}
}

func revisions(evs []eventstore.RecordedEvent) []uint64 {
	out := make([]uint64, len(evs))
	for i, e := range evs {
		out[i] = e.Revision
	}
	return out
}

func testExpectedRevision(t *testing.T, b Backend) {
	s, p := open(t, b)
	ctx := ctxT(t)
	fresh := p + "fresh"
	// On a stream that does not exist.
	wev := wantWrongVersion(t, appendErr(ctx, s, fresh, eventstore.StreamExists))
	if wev.ActualExists {
		t.Fatalf("conflict on a new stream reports actual revision %d", wev.Actual)
	}
	wantWrongVersion(t, appendErr(ctx, s, fresh, eventstore.Exact(0)))
	if err := appendErr(ctx, s, fresh, eventstore.NoStream); err != nil {
		t.Fatalf("no-stream on a new stream: %v", err)
	}
	// Now at revision 0.
	wev = wantWrongVersion(t, appendErr(ctx, s, fresh, eventstore.NoStream))
	if !wev.ActualExists || wev.Actual != 0 {
		t.Fatalf("conflict reports actual (exists %v, %d), want revision 0", wev.ActualExists, wev.Actual)
	}
	wev = wantWrongVersion(t, appendErr(ctx, s, fresh, eventstore.Exact(5)))
	if wev.Actual != 0 || wev.Stream != fresh {
		t.Fatalf("conflict reports stream %q actual %d", wev.Stream, wev.Actual)
	}
	for _, exp := range []eventstore.ExpectedRevision{eventstore.StreamExists, eventstore.Exact(1), eventstore.Any} {
		if err := appendErr(ctx, s, fresh, exp); err != nil {
			t.Fatalf("append with %s: %v", exp, err)
		}
	}
	if err := appendErr(ctx, s, p+"any", eventstore.Any); err != nil {
		t.Fatalf("any on a new stream: %v", err)
	}
	if got := len(readStream(t, s, fresh)); got != 4 {
		t.Fatalf("stream has %d events, want 4", got)
	}
}

func appendErr(ctx context.Context, s eventstore.Store, stream string, exp eventstore.ExpectedRevision) error {
	_, err := s.Append(ctx, stream, exp, ev("test.Happened.v1", stream, 0))
	return err
}

func testConflictWritesNothing(t *testing.T, b Backend) {
	s, p := open(t, b)
	stream := p + "c"
	mustAppend(t, s, stream, eventstore.NoStream, ev("test.Happened.v1", stream, 0))
	_, err := s.Append(ctxT(t), stream, eventstore.Exact(7), ev("test.Happened.v1", stream, 1), ev("test.Happened.v1", stream, 2))
	wantWrongVersion(t, err)
	if got := len(readStream(t, s, stream)); got != 1 {
		t.Fatalf("conflicting append left %d events, want 1", got)
	}
	if got := len(readAllWithPrefix(t, s, p)); got != 1 {
		t.Fatalf("global log holds %d of this test's events, want 1", got)
	}
}

func testInvalidInputWritesNothing(t *testing.T, b Backend) {
	s, p := open(t, b)
	stream := p + "bad"
	good := ev("test.Happened.v1", stream, 0)
	noType := ev("", stream, 1)
	noID := ev("test.Happened.v1", stream, 2)
	noID.ID = uuid.Nil
	big := ev("test.Happened.v1", stream, 3)
	big.Data = []byte(`"` + strings.Repeat("x", eventstore.MaxEventDataSize) + `"`)
	cases := map[string][]eventstore.EventData{
		"no events":          nil,
		"event without type": {good, noType},
		"event without ID":   {good, noID},
		"repeated ID":        {good, good},
		"oversized event":    {good, big},
	}
	for name, evs := range cases {
		_, err := s.Append(ctxT(t), stream, eventstore.Any, evs...)
		if !errors.Is(err, eventstore.ErrInvalidEvent) {
			t.Errorf("%s: error %v, want ErrInvalidEvent", name, err)
		}
	}
	if _, err := s.Append(ctxT(t), "", eventstore.Any, good); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Errorf("empty stream name: error %v, want ErrInvalidEvent", err)
	}
	if _, err := s.ReadStream(ctxT(t), stream, 0, eventstore.Forwards, 0); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("after rejected appends the stream exists (read error %v)", err)
	}
}

func testConcurrentAppendsOneStream(t *testing.T, b Backend) {
	s, p := open(t, b)
	stream := p + "race"
	mustAppend(t, s, stream, eventstore.NoStream, ev("test.Happened.v1", stream, 0))
	const writers, rounds = 16, 20
	var mu sync.Mutex
	winners := map[uint64]int{}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := uint64(0); r < rounds; r++ {
				_, err := s.Append(ctxT(t), stream, eventstore.Exact(r), ev("test.Happened.v1", stream, w))
				if err == nil {
					mu.Lock()
					winners[r]++
					mu.Unlock()
					continue
				}
				if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
					t.Errorf("writer %d round %d: %v", w, r, err)
					return
				}
				// Lost this revision: wait until someone won it (re-read) and go on.
			}
		}(w)
	}
	wg.Wait()
	evs := readStream(t, s, stream)
	total := 0
	for r, n := range winners {
		if n != 1 {
			t.Errorf("revision %d after %d had %d winners, want exactly 1", r+1, r, n)
		}
		total += n
	}
	if len(evs) != total+1 {
		t.Fatalf("stream holds %d events, %d appends succeeded", len(evs), total+1)
	}
	for i, e := range evs {
		if e.Revision != uint64(i) {
			t.Fatalf("event %d has revision %d", i, e.Revision)
		}
	}
	if total != rounds {
		t.Fatalf("%d revisions were won, want %d (one per round)", total, rounds)
	}
}

func testAtomicMultiEventAppend(t *testing.T, b Backend) {
	s, p := open(t, b)
	stream := p + "multi"
	batch := []eventstore.EventData{ev("test.A.v1", stream, 0), ev("test.B.v1", stream, 1), ev("test.C.v1", stream, 2)}
	res := mustAppend(t, s, stream, eventstore.NoStream, batch...)
	all := readAllWithPrefix(t, s, p)
	if len(all) != 3 {
		t.Fatalf("global log has %d events, want 3", len(all))
	}
	for i := 1; i < 3; i++ {
		if all[i].Position <= all[i-1].Position {
			t.Fatalf("batch positions out of order")
		}
		if all[i].Type != batch[i].Type || all[i].ID != batch[i].ID {
			t.Fatalf("batch event %d came back as %s", i, all[i].Type)
		}
	}
	if all[2].Position != res.Position {
		t.Fatalf("append said position %d, last event is at %d", res.Position, all[2].Position)
	}
	// A batch with one bad event writes none of its events.
	bad := []eventstore.EventData{ev("test.A.v1", stream, 3), ev("", stream, 4)}
	if _, err := s.Append(ctxT(t), stream, eventstore.Exact(2), bad...); err == nil {
		t.Fatal("batch with an invalid event was accepted")
	}
	if got := len(readStream(t, s, stream)); got != 3 {
		t.Fatalf("after a rejected batch the stream holds %d events, want 3", got)
	}
}

func testIdempotentReappend(t *testing.T, b Backend) {
	s, p := open(t, b)
	ctx := ctxT(t)
	stream := p + "idem"
	first := []eventstore.EventData{ev("test.A.v1", stream, 0), ev("test.B.v1", stream, 1)}
	r1 := mustAppend(t, s, stream, eventstore.NoStream, first...)
	r2, err := s.Append(ctx, stream, eventstore.NoStream, first...)
	if err != nil {
		t.Fatalf("repeating the same append: %v", err)
	}
	if r2 != r1 {
		t.Fatalf("repeat returned %+v, first returned %+v", r2, r1)
	}
	next := ev("test.C.v1", stream, 2)
	r3 := mustAppend(t, s, stream, eventstore.Exact(1), next)
	r4, err := s.Append(ctx, stream, eventstore.Exact(1), next)
	if err != nil || r4 != r3 {
		t.Fatalf("repeating an exact-revision append: %+v, %v; first was %+v", r4, err, r3)
	}
	if _, err := s.Append(ctx, stream, eventstore.Any, next); err != nil {
		t.Fatalf("repeating with any: %v", err)
	}
	if got := len(readStream(t, s, stream)); got != 3 {
		t.Fatalf("stream holds %d events after repeats, want 3", got)
	}
	if got := len(readAllWithPrefix(t, s, p)); got != 3 {
		t.Fatalf("global log holds %d events after repeats, want 3", got)
	}
}
