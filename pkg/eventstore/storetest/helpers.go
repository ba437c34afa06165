package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
)

// open returns a store and a stream-name prefix that no other test uses.
func open(t *testing.T, b Backend) (eventstore.Store, string) {
	t.Helper()
	s := b.Open(t)
	t.Cleanup(func() { _ = s.Close() })
	return s, prefix(t)
}

func prefix(t *testing.T) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return fmt.Sprintf("st%s_%s-", uuid.NewString()[:8], name)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

type payload struct {
	Stream string `json:"stream"`
	N      int    `json:"n"`
}

func ev(typ string, stream string, n int) eventstore.EventData {
	data, _ := json.Marshal(payload{Stream: stream, N: n})
	return eventstore.EventData{ID: uuid.New(), Type: typ, Data: data}
}

func mustAppend(t *testing.T, s eventstore.Store, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(ctxT(t), stream, exp, evs...)
	if err != nil {
		t.Fatalf("append to %s (expected %s): %v", stream, exp, err)
	}
	return res
}

func readStream(t *testing.T, s eventstore.Store, stream string) []eventstore.RecordedEvent {
	t.Helper()
	evs, err := s.ReadStream(ctxT(t), stream, 0, eventstore.Forwards, 0)
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	return evs
}

// readAllWithPrefix reads the whole global log forwards, keeping only the
// events of streams under prefix (other tests may share the store).
func readAllWithPrefix(t *testing.T, s eventstore.Store, prefix string) []eventstore.RecordedEvent {
	t.Helper()
	var out []eventstore.RecordedEvent
	from := eventstore.Start
	for {
		page, err := s.ReadAll(ctxT(t), from, eventstore.Forwards, 4096)
		if err != nil {
			t.Fatalf("read all from %d: %v", from, err)
		}
		if len(page) == 0 {
			return out
		}
		for _, e := range page {
			if strings.HasPrefix(e.Stream, prefix) {
				out = append(out, e)
			}
		}
		from = page[len(page)-1].Position + 1
	}
}

func wantWrongVersion(t *testing.T, err error) *eventstore.WrongExpectedVersionError {
	t.Helper()
	var wev *eventstore.WrongExpectedVersionError
	if err == nil {
		t.Fatal("append succeeded, want a wrong-expected-version conflict")
	}
	if !errors.As(err, &wev) {
		t.Fatalf("error %v (%T), want *WrongExpectedVersionError", err, err)
	}
	if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("error %v does not match ErrWrongExpectedVersion", err)
	}
	return wev
}

// collector drains a subscription in the background.
type collector struct {
	sub      eventstore.Subscription
	events   chan eventstore.RecordedEvent
	caughtUp chan struct{}
	done     chan struct{}
	caughtN  int
}

func collect(t *testing.T, s eventstore.Store, opts eventstore.SubscribeOptions) *collector {
	t.Helper()
	sub, err := s.Subscribe(ctxT(t), opts)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	c := &collector{sub: sub, events: make(chan eventstore.RecordedEvent, 1<<20), caughtUp: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for m := range sub.Messages() {
			switch {
			case m.Event != nil:
				c.events <- *m.Event
			case m.CaughtUp:
				c.caughtN++
				if c.caughtN == 1 {
					close(c.caughtUp)
				}
			}
		}
	}()
	t.Cleanup(func() { _ = sub.Close(); <-c.done })
	return c
}

// take waits for n events or fails at the deadline.
func (c *collector) take(t *testing.T, n int, within time.Duration) []eventstore.RecordedEvent {
	t.Helper()
	out := make([]eventstore.RecordedEvent, 0, n)
	deadline := time.After(within)
	for len(out) < n {
		select {
		case e := <-c.events:
			out = append(out, e)
		case <-c.done:
			t.Fatalf("subscription ended after %d of %d events: %v", len(out), n, c.sub.Err())
		case <-deadline:
			t.Fatalf("got %d of %d events within %s", len(out), n, within)
		}
	}
	return out
}

// quiet checks that no further event arrives for a short while.
func (c *collector) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case e := <-c.events:
		t.Fatalf("unexpected extra event %s@%d in %s", e.Type, e.Revision, e.Stream)
	case <-time.After(d):
	}
}

func toData(e eventstore.RecordedEvent) eventstore.EventData {
	return eventstore.EventData{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata}
}
