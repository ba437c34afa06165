package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
)

// unreachable is a connection string for a local port nothing listens on,
// with discovery cut short so that failures come quickly.
func unreachable(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return fmt.Sprintf("esdb://%s?tls=false&maxDiscoverAttempts=1&discoveryInterval=10&gossipTimeout=1", addr)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// offlineStore is a Store whose server cannot be reached. Nothing connects
// until a call needs the server.
func offlineStore(t *testing.T) *Store {
	t.Helper()
	conf, err := esdb.ParseConnectionString(unreachable(t))
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(conf, options{logger: quiet, pageSize: 512, minBackoff: 10 * time.Millisecond, maxBackoff: 50 * time.Millisecond})
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func validEvent() eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: "test.Happened.v1", Data: []byte(`{}`)}
}

func TestBackend(t *testing.T) {
	if got := offlineStore(t).Backend(); got != "kurrentdb" {
		t.Fatalf("Backend() = %q", got)
	}
}

func TestOpenFailsWhenNoServerAnswers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	s, err := Open(ctx, unreachable(t), WithLogger(quiet))
	if err == nil {
		_ = s.Close()
		t.Fatal("Open succeeded without a server")
	}
	if time.Since(start) > 20*time.Second {
		t.Fatalf("Open took %s to fail", time.Since(start))
	}
	if _, err := Open(ctx, "http://localhost:2113"); err == nil {
		t.Fatal("Open accepted a connection string that is not esdb://")
	}
}

func TestInvalidInputIsRejectedBeforeTheServer(t *testing.T) {
	s := offlineStore(t)
	ctx := context.Background()
	good := validEvent()
	noType := validEvent()
	noType.Type = ""
	future := validEvent()
	future.Metadata.OccurredAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, c := range map[string]struct {
		stream string
		events []eventstore.EventData
	}{
		"empty stream":         {"", []eventstore.EventData{good}},
		"no events":            {"s", nil},
		"event without type":   {"s", []eventstore.EventData{good, noType}},
		"repeated ID":          {"s", []eventstore.EventData{good, good}},
		"unencodable metadata": {"s", []eventstore.EventData{future}},
	} {
		if _, err := s.Append(ctx, c.stream, eventstore.Any, c.events...); !errors.Is(err, eventstore.ErrInvalidEvent) {
			t.Errorf("%s: %v, want ErrInvalidEvent", name, err)
		}
	}
	if err := s.DeleteStream(ctx, "", eventstore.Any); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Errorf("delete of an empty stream name: %v", err)
	}
	if _, err := s.ReadStream(ctx, "", 0, eventstore.Forwards, 1); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("read of an empty stream name: %v", err)
	}
	s.mu.Lock()
	connected := s.conn != nil
	s.mu.Unlock()
	if connected {
		t.Error("rejected input made the store connect")
	}
}

func TestClosedStoreRefusesEverything(t *testing.T) {
	s := offlineStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := context.Background()
	if _, err := s.Append(ctx, "s", eventstore.NoStream, validEvent()); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("append: %v", err)
	}
	if _, err := s.ReadStream(ctx, "s", 0, eventstore.Forwards, 0); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("read stream: %v", err)
	}
	if _, err := s.ReadAll(ctx, eventstore.Start, eventstore.Forwards, 10); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("read all: %v", err)
	}
	if _, err := s.ReadAll(ctx, fromLog(4096), eventstore.Backwards, 10); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("read all backwards: %v", err)
	}
	if err := s.DeleteStream(ctx, "s", eventstore.Any); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("delete: %v", err)
	}
	if _, err := s.Subscribe(ctx, eventstore.SubscribeOptions{}); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("subscribe: %v", err)
	}
}

func TestReadsThatNeedNoServer(t *testing.T) {
	s := offlineStore(t)
	ctx := context.Background()
	if evs, err := s.ReadAll(ctx, eventstore.End, eventstore.Forwards, 10); err != nil || len(evs) != 0 {
		t.Errorf("forwards from End: %v, %v", evs, err)
	}
	if evs, err := s.ReadAll(ctx, eventstore.Start, eventstore.Backwards, 10); err != nil || len(evs) != 0 {
		t.Errorf("backwards from Start: %v, %v", evs, err)
	}
}

// A call that cannot reach the server retires the client it used, so the
// next call gets a fresh one (the client closes itself for good when
// discovery fails).
func TestFailedDiscoveryReplacesTheClient(t *testing.T) {
	s := offlineStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := s.ReadStream(ctx, "s", 0, eventstore.Forwards, 1)
	if err == nil {
		t.Fatal("read succeeded without a server")
	}
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("unreachable server reported as a missing stream: %v", err)
	}
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		t.Fatal("the failed client is still in use")
	}
	// Retired clients are closed in the background; Close waits for that.
	done := make(chan struct{})
	go func() { _ = s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not finish")
	}
}

func TestSubscriptionEndsWithErrClosedWhenTheStoreCloses(t *testing.T) {
	s := offlineStore(t)
	sub, err := s.Subscribe(context.Background(), eventstore.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let it fail and retry at least once
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-sub.Messages():
		if ok {
			t.Fatal("a subscription without a server delivered a message")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("messages channel not closed after the store closed")
	}
	if !errors.Is(sub.Err(), eventstore.ErrClosed) {
		t.Fatalf("Err() = %v, want ErrClosed", sub.Err())
	}
	if err := sub.Close(); err != nil {
		t.Fatalf("Close after the end: %v", err)
	}
}

func TestSubscriptionCloseAndCancelLeaveNoError(t *testing.T) {
	s := offlineStore(t)
	sub, err := s.Subscribe(context.Background(), eventstore.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-sub.Messages(); ok {
		t.Fatal("messages channel open after Close")
	}
	if sub.Err() != nil {
		t.Fatalf("Err() after Close = %v", sub.Err())
	}

	ctx, cancel := context.WithCancel(context.Background())
	sub, err = s.Subscribe(ctx, eventstore.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, ok := <-sub.Messages():
		if ok {
			t.Fatal("message after cancel")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("messages channel not closed after cancel")
	}
	if sub.Err() != nil {
		t.Fatalf("Err() after cancel = %v", sub.Err())
	}
	s.mu.Lock()
	n := len(s.subs)
	s.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d ended subscriptions still registered", n)
	}
}

// blackHole accepts connections and never answers, so the client's endpoint
// discovery hangs, ignoring contexts.
func blackHole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

func TestCallsLeaveWhenTheClientIsStuck(t *testing.T) {
	conf, err := esdb.ParseConnectionString("esdb://" + blackHole(t) + "?tls=false&maxDiscoverAttempts=1&gossipTimeout=3")
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(conf, options{logger: quiet, pageSize: 512, minBackoff: 10 * time.Millisecond, maxBackoff: 50 * time.Millisecond})
	sub, err := s.Subscribe(context.Background(), eventstore.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	for _, read := range []func() error{
		func() error { _, err := s.ReadStream(ctx, "s", 0, eventstore.Forwards, 1); return err },
		func() error { _, err := s.ReadAll(ctx, eventstore.Start, eventstore.Forwards, 1); return err },
		func() error {
			_, err := s.Append(ctx, "s", eventstore.NoStream, validEvent())
			return err
		},
	} {
		if err := read(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("call on a stuck client: %v, want the context's deadline", err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("calls took %s to leave", d)
	}
	closed := make(chan struct{})
	go func() { _ = s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("Close hung on a stuck client")
	}
	if !errors.Is(sub.Err(), eventstore.ErrClosed) {
		t.Fatalf("subscription Err() = %v, want ErrClosed", sub.Err())
	}
}
