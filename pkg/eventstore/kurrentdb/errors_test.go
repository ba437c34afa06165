package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"carecoord/pkg/eventstore"
)

// The client's FromError is the opposite of what its name suggests; this
// package relies on errors.As instead. If a client upgrade changes this, the
// package documentation needs updating.
func TestClientFromErrorSemantics(t *testing.T) {
	if e, ok := esdb.FromError(nil); !ok || e != nil {
		t.Fatalf("FromError(nil) = %v, %v; the package doc says ok is true only for nil", e, ok)
	}
	inner := status.Error(codes.Unavailable, "down")
	e, ok := esdb.FromError(inner)
	if ok {
		t.Fatal("FromError reports ok for a real error")
	}
	if e.Code() != esdb.ErrorCodeUnknown {
		t.Fatalf("FromError of a non-esdb error has code %v, want Unknown", e.Code())
	}
	// Wrapped the way the client wraps its errors, the *esdb.Error is found
	// by errors.As, and the gRPC status behind it too.
	wrapped := fmt.Errorf("could not send append request. Reason: %w", e)
	if again, ok := esdb.FromError(wrapped); ok || again == e {
		t.Fatal("FromError unwrapped a wrapped error; the package doc says it does not")
	}
	if code, ok := esdbCode(wrapped); !ok || code != esdb.ErrorCodeUnknown {
		t.Fatalf("esdbCode = %v, %v", code, ok)
	}
	if !unavailable(wrapped) || !connectionTrouble(wrapped) {
		t.Fatal("an Unavailable status behind the client's error is not seen as connection trouble")
	}
}

func TestClosedClientErrorsAreNotSent(t *testing.T) {
	conf, err := esdb.ParseConnectionString("esdb://127.0.0.1:1?tls=false")
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = esdb.NoopLogging()
	client, err := esdb.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	_ = client.Close()
	_, err = client.ReadAll(context.Background(), esdb.ReadAllOptions{From: esdb.Start{}}, 1)
	if code, ok := esdbCode(err); !ok || code != esdb.ErrorCodeConnectionClosed {
		t.Fatalf("closed client returned %v", err)
	}
	if !notSent(err) || !connectionTrouble(err) {
		t.Fatal("a closed client's error is not classified as not sent")
	}
	if permanent(err) {
		t.Fatal("a closed client's error is classified as permanent")
	}
	discovery := fmt.Errorf("wrapped: %w", errors.New("maximum discovery attempt count reached: 10. Last Error: x"))
	if !notSent(discovery) {
		t.Fatal("failed discovery is not classified as not sent")
	}
}

func TestPermanentErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{eventstore.ErrClosed, true},
		{fmt.Errorf("x: %w", eventstore.ErrClosed), true},
		{status.Error(codes.PermissionDenied, "Access Denied"), true},
		{status.Error(codes.InvalidArgument, "Trying to read from an invalid position."), true},
		{status.Error(codes.Unavailable, "Server Is Not Ready"), false},
		{status.Error(codes.Aborted, "Operation timed out"), false},
		{errors.New("EOF"), false},
	} {
		if got := permanent(c.err); got != c.want {
			t.Errorf("permanent(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestParseAppendActual(t *testing.T) {
	cases := []struct {
		text          string
		actual        uint64
		exists, known bool
	}{
		{"[ErrorCodeWrongExpectedVersion] ...: wrong expected version: expecting '3' but got '5'", 5, true, true},
		{"wrong expected version: expecting 'stream_exists' but got 'no_stream'", 0, false, true},
		{"wrong expected version: expecting 'no_stream' but got '0'", 0, true, true},
		{"wrong expected version: expecting '1' but got '-1'", 0, false, true},
		{"something else entirely", 0, false, false},
		{"but got 'garbage'", 0, false, false},
	}
	for _, c := range cases {
		actual, exists, known := parseAppendActual(c.text)
		if actual != c.actual || exists != c.exists || known != c.known {
			t.Errorf("parseAppendActual(%q) = %d, %v, %v; want %d, %v, %v", c.text, actual, exists, known, c.actual, c.exists, c.known)
		}
	}
}

func TestDeleteWrongExpectedVersion(t *testing.T) {
	// What the client returns for a conflicting tombstone: the server's
	// FailedPrecondition status inside an unclassified *esdb.Error, wrapped.
	clientErr := func(msg string) error {
		e, _ := esdb.FromError(status.Error(codes.FailedPrecondition, msg))
		return fmt.Errorf("failed to perform delete, details: %w", e)
	}
	err := clientErr("Delete failed due to WrongExpectedVersion. Stream: beds-1, Expected version: 3, Actual version: 7")
	wev, ok := deleteWrongExpected("beds-1", eventstore.Exact(3), err)
	if !ok {
		t.Fatal("conflict not recognised")
	}
	if wev.Stream != "beds-1" || !wev.ActualExists || wev.Actual != 7 {
		t.Fatalf("conflict %+v", wev)
	}
	if rev, ok := wev.Expected.Revision(); !ok || rev != 3 {
		t.Fatalf("expected %s", wev.Expected)
	}
	if !errors.Is(wev, eventstore.ErrWrongExpectedVersion) {
		t.Fatal("not ErrWrongExpectedVersion")
	}

	wev, ok = deleteWrongExpected("beds-2", eventstore.StreamExists, clientErr("Delete failed due to WrongExpectedVersion. Stream: beds-2, Expected version: -4, Actual version: -1"))
	if !ok || wev.ActualExists {
		t.Fatalf("conflict on a missing stream: %+v, %v", wev, ok)
	}
	wev, ok = deleteWrongExpected("beds-3", eventstore.Exact(1), clientErr("Delete failed due to WrongExpectedVersion. Stream: beds-3, Expected version: 1, Actual version: "))
	if !ok || wev.ActualExists {
		t.Fatalf("conflict without an actual version: %+v, %v", wev, ok)
	}
	if _, ok := deleteWrongExpected("beds-4", eventstore.Any, clientErr("Event stream 'beds-4' is deleted.")); ok {
		t.Fatal("a deleted-stream status was taken for a conflict")
	}
	if _, ok := deleteWrongExpected("beds-5", eventstore.Any, errors.New("WrongExpectedVersion")); ok {
		t.Fatal("an error without a gRPC status was taken for a conflict")
	}
}

func TestMapErrorKeepsContextAndClosed(t *testing.T) {
	if err := mapError(context.Background(), "read stream", "s", eventstore.ErrClosed); err != eventstore.ErrClosed {
		t.Fatalf("ErrClosed became %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := mapError(ctx, "append to", "s", status.Error(codes.Canceled, "context canceled"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
	if mapError(context.Background(), "x", "s", nil) != nil {
		t.Fatal("nil error mapped to non-nil")
	}
}
