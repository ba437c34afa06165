// Package aggregate loads event-sourced aggregates from their streams and
// appends what their commands decide, with optimistic concurrency and client
// command IDs. It is the command side every service shares:
//
//	result, err := repo.Execute(ctx, referralID, cmd, func(r *Referral, exists bool) ([]aggregate.Event, error) {
//		return r.Triage(outcome, at)   // validate, then raise; nothing is written on error
//	})
//
// The domain stays free of infrastructure: an aggregate is a type with an
// Apply method that mutates state and never fails, and command methods that
// check the state machine and return events.
//
// It imports pkg/eventstore, pkg/eventbus (for correlation) and pkg/errs.
package aggregate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/errs"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
)

// Event is a domain event; its type string is "<service>.<EventName>.v<N>".
// Events are plain structs, JSON-encoded.
type Event interface {
	EventType() string
}

// State is an aggregate: Apply folds one event into it and never fails.
type State interface {
	Apply(Event)
}

// Types decodes stored events into their Go types.
type Types struct {
	byName map[string]reflect.Type
}

// NewTypes registers event types by example values: NewTypes(ReferralReceived{}, ...).
func NewTypes(examples ...Event) *Types {
	t := &Types{byName: map[string]reflect.Type{}}
	for _, e := range examples {
		rt := reflect.TypeOf(e)
		if rt.Kind() == reflect.Pointer {
			panic(fmt.Sprintf("aggregate: register %s as a value, not a pointer", rt))
		}
		if _, dup := t.byName[e.EventType()]; dup {
			panic("aggregate: event type registered twice: " + e.EventType())
		}
		t.byName[e.EventType()] = rt
	}
	return t
}

// Names lists the registered type strings.
func (t *Types) Names() []string {
	out := make([]string, 0, len(t.byName))
	for n := range t.byName {
		out = append(out, n)
	}
	return out
}

// Decode turns a recorded event into its Go value.
func (t *Types) Decode(ev eventstore.RecordedEvent) (Event, error) {
	rt, ok := t.byName[ev.Type]
	if !ok {
		return nil, fmt.Errorf("aggregate: unknown event type %s at %s@%d", ev.Type, ev.Stream, ev.Revision)
	}
	p := reflect.New(rt)
	if err := json.Unmarshal(ev.Data, p.Interface()); err != nil {
		return nil, fmt.Errorf("aggregate: decode %s at %s@%d: %w", ev.Type, ev.Stream, ev.Revision, err)
	}
	return p.Elem().Interface().(Event), nil
}

// Command carries who asked and the client's idempotency key.
type Command struct {
	// ID is the client's commandId: repeating a command with the same ID
	// returns the first result and writes nothing. Empty: no idempotency.
	ID string
	// Actor is the user ID of who asked (never a name).
	Actor string
	// Locality is the locality the change belongs to, for metadata and
	// subscriptions.
	Locality string
	// At is when it happened in the world (business time); zero is now.
	At time.Time
}

// Result is an executed command's outcome.
type Result[S State] struct {
	State S
	// Version is the stream's head revision (-1: no events).
	Version int64
	// Position is the global position of the last event appended; on a
	// repeat, of the stream's last event (which the first run's events are
	// at or before), so that a caller can wait for its read models to show
	// them; 0 when nothing was appended.
	Position eventstore.Position
	// Events are the events this command appended (none on a repeat).
	Events []Event
	// Repeated is true when the command ID had been executed before.
	Repeated bool
}

// Repository loads and saves one kind of aggregate.
type Repository[S State] struct {
	store    eventstore.Store
	types    *Types
	category string
	newState func(id string) S
}

// NewRepository is a repository of aggregates stored in streams
// "<category>-<id>".
func NewRepository[S State](store eventstore.Store, types *Types, category string, newState func(id string) S) *Repository[S] {
	return &Repository[S]{store: store, types: types, category: category, newState: newState}
}

// Stream is the stream name of an aggregate.
func (r *Repository[S]) Stream(id string) string { return r.category + "-" + id }

// Category is the stream-name prefix without the dash.
func (r *Repository[S]) Category() string { return r.category }

// metaCommandID is the metadata key that marks the events of a command.
const metaCommandID = "commandId"

// Load rebuilds an aggregate. Version -1 means the stream does not exist.
func (r *Repository[S]) Load(ctx context.Context, id string) (S, int64, error) {
	s, v, _, _, err := r.load(ctx, id, "")
	return s, v, err
}

func (r *Repository[S]) load(ctx context.Context, id, commandID string) (S, int64, bool, eventstore.Position, error) {
	state := r.newState(id)
	version := int64(-1)
	seen := false
	var head eventstore.Position
	stream := r.Stream(id)
	from := uint64(0)
	for {
		evs, err := r.store.ReadStream(ctx, stream, from, eventstore.Forwards, 1000)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return state, -1, false, 0, nil
		}
		if err != nil {
			return state, 0, false, 0, errs.Internal("could not load the record; try again", err)
		}
		for _, ev := range evs {
			e, err := r.types.Decode(ev)
			if err != nil {
				return state, 0, false, 0, errs.Internal("could not load the record", err)
			}
			state.Apply(e)
			version = int64(ev.Revision)
			head = ev.Position
			if commandID != "" && ev.Metadata.Extra[metaCommandID] == commandID {
				seen = true
			}
		}
		if len(evs) < 1000 {
			return state, version, seen, head, nil
		}
		from = evs[len(evs)-1].Revision + 1
	}
}

// Decide is a command's decision: given the current state (exists false
// when the stream is new), the events to raise or a typed error.
type Decide[S State] func(state S, exists bool) ([]Event, error)

// Execute loads the aggregate, runs decide and appends its events with the
// loaded version as expected revision. A concurrent change is errs.Conflict;
// nothing is written when decide fails.
func (r *Repository[S]) Execute(ctx context.Context, id string, cmd Command, decide Decide[S]) (Result[S], error) {
	res, err := r.execute(ctx, id, cmd, decide)
	if cmd.ID != "" && errs.Is(err, errs.KindConflict) {
		// The same command may have won the race from another request:
		// reload once and answer it as a repeat if so.
		return r.execute(ctx, id, cmd, decide)
	}
	return res, err
}

func (r *Repository[S]) execute(ctx context.Context, id string, cmd Command, decide Decide[S]) (Result[S], error) {
	state, version, seen, head, err := r.load(ctx, id, cmd.ID)
	if err != nil {
		return Result[S]{}, err
	}
	if seen {
		return Result[S]{State: state, Version: version, Position: head, Repeated: true}, nil
	}
	events, err := decide(state, version >= 0)
	if err != nil {
		// A refusal decided on what this node has read. On a store that
		// may lag the cluster (a raft follower just restarted, say), the
		// record may have moved on: catch up and decide again before
		// refusing. A step it allows needs no such care: its append
		// expects the revision it read, so a stale read is a conflict.
		b, ok := r.store.(eventstore.Barrier)
		if !ok || b.LinearizableBarrier(ctx) != nil {
			return Result[S]{}, err
		}
		if state, version, seen, head, err = r.load(ctx, id, cmd.ID); err != nil {
			return Result[S]{}, err
		}
		if seen {
			return Result[S]{State: state, Version: version, Position: head, Repeated: true}, nil
		}
		if events, err = decide(state, version >= 0); err != nil {
			return Result[S]{}, err
		}
	}
	if len(events) == 0 {
		return Result[S]{State: state, Version: version}, nil
	}
	stream := r.Stream(id)
	md := eventstore.Metadata{Actor: cmd.Actor, Locality: cmd.Locality, OccurredAt: cmd.At}
	if md.OccurredAt.IsZero() {
		md.OccurredAt = time.Now().UTC()
	}
	md = eventbus.DerivedMetadata(ctx, md)
	if cmd.ID != "" {
		md.Extra = map[string]string{metaCommandID: cmd.ID}
	}
	data := make([]eventstore.EventData, len(events))
	for i, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			return Result[S]{}, errs.Internal("could not record the change", err)
		}
		evID := uuid.New()
		if cmd.ID != "" {
			// The same command always makes the same events, so a retry
			// that races its first attempt is caught by the store too.
			evID = eventstore.DeterministicID("command", cmd.ID, stream, fmt.Sprint(i))
		}
		data[i] = eventstore.EventData{ID: evID, Type: e.EventType(), Data: b, Metadata: md}
	}
	expected := eventstore.NoStream
	if version >= 0 {
		expected = eventstore.Exact(uint64(version))
	}
	ar, err := r.store.Append(ctx, stream, expected, data...)
	if errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		return Result[S]{}, errs.Conflict("the record changed while you were working on it: reload it and try again", "concurrent-change")
	}
	if errors.Is(err, eventstore.ErrStreamDeleted) {
		return Result[S]{}, errs.NotFound("the record was removed", "deleted")
	}
	if errors.Is(err, eventstore.ErrIdempotencyMismatch) {
		return Result[S]{}, errs.Invalid("commandId", "this commandId was already used for a different change", "command-id-reused")
	}
	if err != nil {
		return Result[S]{}, errs.Internal("could not record the change; try again", err)
	}
	for _, e := range events {
		state.Apply(e)
	}
	return Result[S]{State: state, Version: int64(ar.NextRevision), Position: ar.Position, Events: events}, nil
}

// DeterministicID derives an aggregate ID from a client command ID, so that a
// repeated create command addresses the same stream. Without a command ID it
// is a fresh random ID.
func DeterministicID(kind, commandID string) string {
	if commandID == "" {
		return uuid.NewString()
	}
	return eventstore.DeterministicID(kind, commandID).String()
}
