package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"carecoord/pkg/eventstore"
)

// esdbCode is the client's error code for err, looking through wrapping.
// esdb.FromError is not used: it reports ok only for a nil error and does not
// unwrap (see the package documentation).
func esdbCode(err error) (esdb.ErrorCode, bool) {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

// grpcStatus is the gRPC status behind err, if any.
func grpcStatus(err error) (*status.Status, bool) {
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return se.GRPCStatus(), true
	}
	return nil, false
}

func grpcCode(err error) codes.Code {
	if st, ok := grpcStatus(err); ok {
		return st.Code()
	}
	return codes.Unknown
}

// discoveryFailed is the text of the error the client returns when endpoint
// discovery gives up; the client is closed for good after it.
const discoveryFailed = "maximum discovery attempt count reached"

// notSent reports whether err means the request never reached a node that
// could act on it, so it is safe to send again: the client was closed (it
// closes itself when discovery fails) or the node was not the leader.
func notSent(err error) bool {
	if code, ok := esdbCode(err); ok {
		switch code {
		case esdb.ErrorCodeConnectionClosed, esdb.ErrorCodeNotLeader:
			return true
		}
	}
	return strings.Contains(errText(err), discoveryFailed)
}

// unavailable reports whether the node could not be reached or was not ready.
func unavailable(err error) bool {
	if code, ok := esdbCode(err); ok && code == esdb.ErrorUnavailable {
		return true
	}
	return grpcCode(err) == codes.Unavailable
}

// connectionTrouble reports whether err means the client's connection should
// not be used again (see the package documentation).
func connectionTrouble(err error) bool {
	return err != nil && (notSent(err) || unavailable(err))
}

// permanent reports whether retrying cannot help: the request was refused or
// malformed, or the store is closed.
func permanent(err error) bool {
	if errors.Is(err, eventstore.ErrClosed) {
		return true
	}
	if code, ok := esdbCode(err); ok {
		switch code {
		case esdb.ErrorCodeAccessDenied, esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeUnsupportedFeature:
			return true
		}
	}
	switch grpcCode(err) {
	case codes.PermissionDenied, codes.Unauthenticated, codes.InvalidArgument, codes.Unimplemented:
		return true
	}
	return false
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// mapError turns a client error into the contract's: a deleted stream is
// ErrStreamDeleted, a missing one (reads only) ErrStreamNotFound, anything else
// is wrapped with what was being done.
func mapError(ctx context.Context, op, stream string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, eventstore.ErrClosed) {
		return err
	}
	if code, ok := esdbCode(err); ok {
		switch code {
		case esdb.ErrorCodeStreamDeleted:
			return fmt.Errorf("kurrentdb: %s %q: %w", op, stream, eventstore.ErrStreamDeleted)
		case esdb.ErrorCodeResourceNotFound:
			if stream != "" && grpcCode(err) != codes.NotFound {
				// The client's own "stream not found" read response (a gRPC
				// NotFound status is something else: a missing endpoint).
				return fmt.Errorf("kurrentdb: %s %q: %w", op, stream, eventstore.ErrStreamNotFound)
			}
		}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("kurrentdb: %s %q: %w", op, stream, ctxErr)
	}
	return fmt.Errorf("kurrentdb: %s %q: %w", op, stream, err)
}

// appendActualRe finds the actual revision in the client's wrong-expected-
// version error text: "wrong expected version: expecting '%s' but got '%s'".
var appendActualRe = regexp.MustCompile(`but got '([^']*)'`)

// parseAppendActual reads the actual stream state from the text of the
// client's wrong-expected-version error. known is false when the text does not
// say.
func parseAppendActual(text string) (actual uint64, exists, known bool) {
	m := appendActualRe.FindStringSubmatch(text)
	if m == nil {
		return 0, false, false
	}
	return parseRevision(m[1])
}

// deleteActualRe finds the actual version in the server's wrong-expected-
// version status for a delete or tombstone: "Delete failed due to
// WrongExpectedVersion. Stream: s, Expected version: 3, Actual version: 7".
var deleteActualRe = regexp.MustCompile(`Actual version: (-?\d+)`)

// deleteWrongExpected recognises the server's wrong-expected-version answer
// to a tombstone, which the client passes on as a FailedPrecondition status
// without classifying it.
func deleteWrongExpected(stream string, expected eventstore.ExpectedRevision, err error) (*eventstore.WrongExpectedVersionError, bool) {
	st, ok := grpcStatus(err)
	if !ok || st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), "WrongExpectedVersion") {
		return nil, false
	}
	wev := &eventstore.WrongExpectedVersionError{Stream: stream, Expected: expected}
	if m := deleteActualRe.FindStringSubmatch(st.Message()); m != nil {
		wev.Actual, wev.ActualExists, _ = parseRevision(m[1])
	}
	return wev, true
}

// parseRevision reads a stream state as the server and client print it: a
// revision, or "no_stream" / a negative number for a stream with no events.
func parseRevision(s string) (rev uint64, exists, known bool) {
	if s == "no_stream" {
		return 0, false, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, false
	}
	if n < 0 {
		return 0, false, true
	}
	return uint64(n), true, true
}
