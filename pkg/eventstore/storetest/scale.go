package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"carecoord/pkg/eventstore"
)

// testManyStreams writes one event to each of 100,000 streams from many
// goroutines and reads them back through both indexes.
func testManyStreams(t *testing.T, b Backend) {
	n := 100_000
	if b.Short || testing.Short() {
		n = 10_000
	}
	s, p := open(t, b)
	const workers = 64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				stream := fmt.Sprintf("%s%06d", p, i)
				if _, err := s.Append(ctxT(t), stream, eventstore.NoStream, ev("test.Created.v1", stream, i)); err != nil {
					errs <- fmt.Errorf("stream %d: %w", i, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, n / 2, n - 1} {
		evs := readStream(t, s, fmt.Sprintf("%s%06d", p, i))
		if len(evs) != 1 || evs[0].Revision != 0 {
			t.Fatalf("stream %d holds %d events", i, len(evs))
		}
	}
	all := readAllWithPrefix(t, s, p)
	if len(all) != n {
		t.Fatalf("global log holds %d of %d events", len(all), n)
	}
	seen := make(map[string]bool, n)
	for _, e := range all {
		if seen[e.Stream] {
			t.Fatalf("stream %s appears twice", e.Stream)
		}
		seen[e.Stream] = true
	}
}

func testReopen(t *testing.T, b Backend) {
	if b.Reopen == nil {
		t.Skip("backend is not reopened by its clients")
	}
	s := b.Open(t)
	p := prefix(t)
	stream := p + "r"
	mustAppend(t, s, stream, eventstore.NoStream, ev("test.A.v1", stream, 0), ev("test.B.v1", stream, 1))
	other := p + "gone"
	mustAppend(t, s, other, eventstore.NoStream, ev("test.A.v1", other, 0))
	if err := s.DeleteStream(ctxT(t), other, eventstore.Any); err != nil {
		t.Fatal(err)
	}
	before := readAllWithPrefix(t, s, p)

	s = b.Reopen(t, s)
	t.Cleanup(func() { _ = s.Close() })
	after := readAllWithPrefix(t, s, p)
	if len(after) != len(before) {
		t.Fatalf("after reopen %d events, before %d", len(after), len(before))
	}
	for i := range before {
		if before[i].ID != after[i].ID || before[i].Position != after[i].Position || !before[i].RecordedAt.Equal(after[i].RecordedAt) {
			t.Fatalf("event %d changed across reopen", i)
		}
	}
	res := mustAppend(t, s, stream, eventstore.Exact(1), ev("test.C.v1", stream, 2))
	if res.NextRevision != 2 || res.Position <= before[len(before)-1].Position {
		t.Fatalf("append after reopen: %+v", res)
	}
	if _, err := s.Append(ctxT(t), other, eventstore.Any, ev("test.A.v1", other, 1)); err == nil {
		t.Fatal("a deleted stream accepted an append after reopen")
	}
	// The idempotency index survives too.
	again, err := s.Append(ctxT(t), stream, eventstore.NoStream, toData(before[0]), toData(before[1]))
	if err != nil || again.NextRevision != 1 {
		t.Fatalf("repeating the first append after reopen: %+v, %v", again, err)
	}
	c := collect(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{p}}})
	if got := c.take(t, 4, 30*time.Second); got[3].Revision != 2 {
		t.Fatalf("subscription after reopen ended at revision %d", got[3].Revision)
	}
}
