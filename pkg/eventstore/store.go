// Package eventstore is carecoord's event store contract: the one interface that
// every backend (embedded, raft, kurrentdb) implements, with the types and typed
// errors that callers depend on. It is modelled on EventStoreDB/KurrentDB so that
// the three backends mean the same thing. It imports nothing of carecoord.
//
// Revisions and positions:
//   - a stream's first event has revision 0; a stream with n events has head
//     revision n-1;
//   - positions increase in commit order; Start (0) is "before the first
//     event". The embedded and raft backends number events 1, 2, 3...;
//     KurrentDB's positions are sparse. Position+1 is the least position
//     after an event, and only positions a store returned (or Start/End)
//     may be passed back to it.
package eventstore

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Store is the event store. All methods are safe for concurrent use.
type Store interface {
	// Append writes events to the end of stream if the stream's current revision
	// matches expected. All events of one call are written atomically or not at
	// all. Re-appending the same event IDs with the same expectation is
	// idempotent: it returns the original result and writes nothing.
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)

	// ReadStream reads up to max events of stream starting at revision from
	// (inclusive) in the given direction. Use StreamEnd with Backwards to read
	// the latest events. A stream that was never written is ErrStreamNotFound.
	ReadStream(ctx context.Context, stream string, from uint64, dir Direction, max int) ([]RecordedEvent, error)

	// ReadAll reads up to max events of the global log starting at position from
	// (inclusive) in the given direction. Forwards from Start reads from the
	// first event; Backwards from End reads from the last.
	ReadAll(ctx context.Context, from Position, dir Direction, max int) ([]RecordedEvent, error)

	// Subscribe starts a catch-up subscription over the global log: it delivers
	// every matching event after opts.After in order, sends one CaughtUp message
	// when it has reached the head, and then goes on live with no gap,
	// duplicate or reordering.
	Subscribe(ctx context.Context, opts SubscribeOptions) (Subscription, error)

	// DeleteStream tombstones a stream: afterwards reading or appending to it is
	// ErrStreamDeleted, and the name cannot be reused. Its events stay in the
	// global log (the record is append-only; retention is a separate concern).
	DeleteStream(ctx context.Context, stream string, expected ExpectedRevision) error

	// Backend names the implementation ("embedded", "raft", "kurrentdb").
	Backend() string

	// Close releases the store. Pending appends either complete or fail with
	// ErrClosed; subscriptions end with ErrClosed.
	Close() error
}

// Barrier is implemented by a store whose reads may lag writes committed
// through other nodes (a raft follower): LinearizableBarrier returns once
// this store has applied every write committed before the call. Callers
// that decide on what they read (a command refusing a step) use it before
// trusting a refusal.
type Barrier interface {
	LinearizableBarrier(ctx context.Context) error
}

// Position is an event's place in the global log.
type Position uint64

const (
	// Start is the position before the first event.
	Start Position = 0
	// End is the position after the last event, for reading backwards.
	End Position = ^Position(0)
)

// StreamEnd is the revision after a stream's last event, for reading backwards.
const StreamEnd uint64 = ^uint64(0)

// Direction of a read.
type Direction int

const (
	Forwards Direction = iota
	Backwards
)

// Metadata travels with every event. It never holds patient data: Actor is a
// user ID, Locality a locality ID.
type Metadata struct {
	CorrelationID string            `json:"correlationId,omitempty"`
	CausationID   string            `json:"causationId,omitempty"`
	Actor         string            `json:"actor,omitempty"`
	Locality      string            `json:"locality,omitempty"`
	OccurredAt    time.Time         `json:"occurredAt,omitzero"`
	Extra         map[string]string `json:"extra,omitempty"`
}

// EventData is an event to append.
type EventData struct {
	// ID identifies the event; it is the idempotency key of the append. Commands
	// derived from other events use deterministic IDs (see DeterministicID).
	ID uuid.UUID
	// Type is "<service>.<EventName>.v<N>".
	Type string
	// Data is the event's JSON payload.
	Data     []byte
	Metadata Metadata
}

// RecordedEvent is an event as the store holds it.
type RecordedEvent struct {
	ID         uuid.UUID
	Stream     string
	Type       string
	Data       []byte
	Metadata   Metadata
	Revision   uint64
	Position   Position
	RecordedAt time.Time
}

// AppendResult says where an append landed.
type AppendResult struct {
	// NextRevision is the stream's head revision after the append, the value to
	// pass as Exact expectation for the next append.
	NextRevision uint64
	// Position is the global position of the last event appended.
	Position Position
}

// SubscribeOptions configure a catch-up subscription.
type SubscribeOptions struct {
	// After is the position of the last event the subscriber has seen; delivery
	// starts with the first event after it. Start delivers from the beginning.
	After  Position
	Filter Filter
	// CheckpointInterval asks for a Checkpoint message after at least this many
	// events have been read without a match, so that a consumer of a sparse
	// filter can advance its checkpoint. Zero picks a default.
	CheckpointInterval int
}

// Subscription delivers messages until it is closed or fails.
type Subscription interface {
	// Messages is closed when the subscription ends; Err then says why.
	Messages() <-chan SubscriptionMessage
	// Err is nil after Close or context cancellation, or the failure that ended
	// the subscription.
	Err() error
	Close() error
}

// SubscriptionMessage is one of: an event, the caught-up marker, or a
// checkpoint.
type SubscriptionMessage struct {
	Event *RecordedEvent
	// CaughtUp is sent once, when the subscription has delivered everything
	// that was in the log when it reached the head; it is live afterwards.
	CaughtUp bool
	// Checkpoint, when non-zero on a message without an event, is a position up
	// to which the log has been read and every matching event delivered.
	Checkpoint Position
}

// DefaultCheckpointInterval is used when SubscribeOptions.CheckpointInterval is 0.
const DefaultCheckpointInterval = 1024

// MaxEventDataSize is the largest event payload the contract guarantees.
const MaxEventDataSize = 1 << 20
