package eventstore

import (
	"errors"
	"fmt"
)

var (
	// ErrWrongExpectedVersion is matched (errors.Is) by every
	// *WrongExpectedVersionError: the stream moved on; reload and retry.
	ErrWrongExpectedVersion = errors.New("eventstore: wrong expected version")
	// ErrStreamNotFound is returned when reading a stream that has no events.
	ErrStreamNotFound = errors.New("eventstore: stream not found")
	// ErrStreamDeleted is returned when reading or appending to a deleted stream.
	ErrStreamDeleted = errors.New("eventstore: stream deleted")
	// ErrClosed is returned by a store or subscription that has been closed.
	ErrClosed = errors.New("eventstore: closed")
	// ErrInvalidEvent is matched by every *InvalidEventError: the append was
	// malformed and nothing was written.
	ErrInvalidEvent = errors.New("eventstore: invalid event")
	// ErrIdempotencyMismatch is returned when some, but not all, of an append's
	// event IDs were already written at that place in the stream, or an ID was
	// already used for a different event: a client bug, never retried.
	ErrIdempotencyMismatch = errors.New("eventstore: event IDs already used differently")
	// ErrUnavailable is returned by a replicated store that could not reach a
	// leader (no quorum) within its bounded wait. The write may or may not
	// have happened: retrying with the same event IDs is safe.
	ErrUnavailable = errors.New("eventstore: unavailable, no leader")
)

// WrongExpectedVersionError is the optimistic-concurrency conflict.
type WrongExpectedVersionError struct {
	Stream   string
	Expected ExpectedRevision
	// ActualExists is false when the stream has no events; Actual is then 0.
	ActualExists bool
	Actual       uint64
}

func (e *WrongExpectedVersionError) Error() string {
	actual := "no stream"
	if e.ActualExists {
		actual = fmt.Sprintf("%d", e.Actual)
	}
	return fmt.Sprintf("eventstore: wrong expected version on stream %q: expected %s, actual %s", e.Stream, e.Expected, actual)
}

func (e *WrongExpectedVersionError) Is(target error) bool { return target == ErrWrongExpectedVersion }

// InvalidEventError says what is wrong with an append's input.
type InvalidEventError struct {
	Reason string
}

func (e *InvalidEventError) Error() string        { return "eventstore: invalid event: " + e.Reason }
func (e *InvalidEventError) Is(target error) bool { return target == ErrInvalidEvent }

// ValidateAppend checks what every backend must reject before writing.
func ValidateAppend(stream string, events []EventData) error {
	if stream == "" {
		return &InvalidEventError{Reason: "empty stream name"}
	}
	if len(events) == 0 {
		return &InvalidEventError{Reason: "no events"}
	}
	seen := make(map[[16]byte]struct{}, len(events))
	for i, ev := range events {
		if ev.ID == [16]byte{} {
			return &InvalidEventError{Reason: fmt.Sprintf("event %d has no ID", i)}
		}
		if _, dup := seen[ev.ID]; dup {
			return &InvalidEventError{Reason: fmt.Sprintf("event %d repeats an ID of the same append", i)}
		}
		seen[ev.ID] = struct{}{}
		if ev.Type == "" {
			return &InvalidEventError{Reason: fmt.Sprintf("event %d has no type", i)}
		}
		if len(ev.Data) > MaxEventDataSize {
			return &InvalidEventError{Reason: fmt.Sprintf("event %d data is %d bytes, more than %d", i, len(ev.Data), MaxEventDataSize)}
		}
	}
	return nil
}
