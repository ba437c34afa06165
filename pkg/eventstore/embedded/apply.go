package embedded

import (
	"bytes"
	"errors"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"carecoord/pkg/eventstore"
)

// Command is one write of a batch: an append, or a stream deletion.
type Command struct {
	Stream   string
	Expected eventstore.ExpectedRevision
	Events   []eventstore.EventData
	Delete   bool
	// RecordedAt, when set, stamps this command's events instead of the
	// batch's time: the raft backend applies several log entries, each
	// stamped by its leader, in one commit.
	RecordedAt time.Time
}

// Outcome is what a Command came to. Err is a typed eventstore error for a
// command that was rejected (and wrote nothing); the rest of the batch is
// unaffected.
type Outcome struct {
	Result eventstore.AppendResult
	Err    error
}

// head is what the writer knows of a stream: its last revision and whether it
// is tombstoned (cached together, so an append costs no lookup of either).
type head struct {
	rev     uint64
	exists  bool
	deleted bool
}

type idEntry struct {
	pos    eventstore.Position
	stream string
	rev    uint64
}

// batchBuilder decides a batch of commands against the committed state plus
// the batch's own earlier commands. It is deterministic: the same committed
// state, commands and recordedAt give the same bytes, which is what lets the
// raft backend use this store as its state machine.
type batchBuilder struct {
	s      *Store
	b      *pebble.Batch
	heads  map[string]head
	ids    map[[16]byte]idEntry
	next   eventstore.Position
	events uint64
	buf    []byte
}

func (s *Store) newBatchBuilder() *batchBuilder {
	return &batchBuilder{
		s:     s,
		b:     s.db.NewBatch(),
		heads: make(map[string]head),
		ids:   make(map[[16]byte]idEntry),
		next:  s.last + 1,
	}
}

func (bb *batchBuilder) head(stream string) (head, error) {
	if h, ok := bb.heads[stream]; ok {
		return h, nil
	}
	return bb.s.loadHead(stream)
}

func (bb *batchBuilder) lookupID(id [16]byte) (idEntry, bool, error) {
	if e, ok := bb.ids[id]; ok {
		return e, true, nil
	}
	return bb.s.lookupID(id)
}

// add decides one command and, when it is accepted, stages its writes.
func (bb *batchBuilder) add(cmd *Command, recordedAt time.Time) Outcome {
	if cmd.Delete {
		return bb.addDelete(cmd)
	}
	if err := eventstore.ValidateAppend(cmd.Stream, cmd.Events); err != nil {
		return Outcome{Err: err}
	}
	h, err := bb.head(cmd.Stream)
	if err != nil {
		return Outcome{Err: err}
	}
	if h.deleted {
		return Outcome{Err: eventstore.ErrStreamDeleted}
	}
	// An exact or no-stream expectation that holds means the append is new:
	// a repeat would find the stream already moved past it. Only a failed
	// expectation, or Any/StreamExists, needs the idempotency index (which
	// keeps the common path free of index lookups).
	_, exact := cmd.Expected.Revision()
	holds := cmd.Expected.Matches(h.rev, h.exists)
	if !holds || !(exact || cmd.Expected.IsNoStream()) {
		if out, done := bb.idempotent(cmd, h); done {
			return out
		}
		if !holds {
			return Outcome{Err: wrongVersion(cmd, h)}
		}
	}
	rev := h.rev + 1
	if !h.exists {
		rev = 0
	}
	if !cmd.RecordedAt.IsZero() {
		recordedAt = cmd.RecordedAt
	}
	var pos eventstore.Position
	for i := range cmd.Events {
		ev := &cmd.Events[i]
		pos = bb.next
		bb.next++
		bb.buf = encodeRecord(bb.buf[:0], cmd.Stream, rev, recordedAt, ev)
		_ = bb.b.Set(eventKey(pos), bb.buf, nil)
		_ = bb.b.Set(streamKey(cmd.Stream, rev), encodePos(pos), nil)
		_ = bb.b.Set(idKey(ev.ID), encodePos(pos), nil)
		bb.ids[ev.ID] = idEntry{pos: pos, stream: cmd.Stream, rev: rev}
		rev++
	}
	bb.events += uint64(len(cmd.Events))
	bb.heads[cmd.Stream] = head{rev: rev - 1, exists: true}
	return Outcome{Result: eventstore.AppendResult{NextRevision: rev - 1, Position: pos}}
}

// idempotent recognises a command whose event IDs were all written before, at
// consecutive revisions of the same stream, and answers with the original
// result. Some-but-not-all, or elsewhere, is ErrIdempotencyMismatch.
func (bb *batchBuilder) idempotent(cmd *Command, h head) (Outcome, bool) {
	first, found, err := bb.lookupID(cmd.Events[0].ID)
	if err != nil {
		return Outcome{Err: err}, true
	}
	if !found {
		for _, ev := range cmd.Events[1:] {
			_, found, err := bb.lookupID(ev.ID)
			if err != nil {
				return Outcome{Err: err}, true
			}
			if found {
				return Outcome{Err: eventstore.ErrIdempotencyMismatch}, true
			}
		}
		return Outcome{}, false
	}
	last := first
	for i, ev := range cmd.Events {
		e, found, err := bb.lookupID(ev.ID)
		if err != nil {
			return Outcome{Err: err}, true
		}
		if !found || e.stream != cmd.Stream || e.rev != first.rev+uint64(i) {
			return Outcome{Err: eventstore.ErrIdempotencyMismatch}, true
		}
		last = e
	}
	// The expectation must have held when the events were first written.
	if !cmd.Expected.Matches(first.rev-1, first.rev > 0) {
		return Outcome{Err: wrongVersion(cmd, h)}, true
	}
	return Outcome{Result: eventstore.AppendResult{NextRevision: last.rev, Position: last.pos}}, true
}

func (bb *batchBuilder) addDelete(cmd *Command) Outcome {
	if cmd.Stream == "" {
		return Outcome{Err: &eventstore.InvalidEventError{Reason: "empty stream name"}}
	}
	h, err := bb.head(cmd.Stream)
	if err != nil {
		return Outcome{Err: err}
	}
	if h.deleted {
		return Outcome{Err: eventstore.ErrStreamDeleted}
	}
	if !cmd.Expected.Matches(h.rev, h.exists) {
		return Outcome{Err: wrongVersion(cmd, h)}
	}
	_ = bb.b.Set(tombstoneKey(cmd.Stream), nil, nil)
	h.deleted = true
	bb.heads[cmd.Stream] = h
	return Outcome{Result: eventstore.AppendResult{NextRevision: h.rev, Position: bb.next - 1}}
}

func wrongVersion(cmd *Command, h head) error {
	return &eventstore.WrongExpectedVersionError{Stream: cmd.Stream, Expected: cmd.Expected, ActualExists: h.exists, Actual: h.rev}
}

// publish folds a committed batch into the in-memory state.
func (bb *batchBuilder) publish() {
	s := bb.s
	if len(s.heads)+len(bb.heads) > maxCachedHeads {
		// Cheaper than an LRU and right: heads reload from the stream index.
		clear(s.heads)
	}
	for k, v := range bb.heads {
		s.heads[k] = v
	}
	s.last = bb.next - 1
}

// maxCachedHeads bounds the stream-head cache (about 100 bytes an entry).
const maxCachedHeads = 1 << 20

// loadHead finds a stream's head revision from the cache or the stream index.
// Only the goroutine that builds batches calls it.
func (s *Store) loadHead(stream string) (head, error) {
	if h, ok := s.heads[stream]; ok {
		return h, nil
	}
	lower := streamPrefix(stream)
	upper := append(bytes.Clone(lower[:len(lower)-1]), 1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return head{}, err
	}
	defer it.Close()
	h := head{}
	if it.Last() {
		h = head{rev: revFromStreamKey(it.Key()), exists: true}
	}
	if err := it.Error(); err != nil {
		return head{}, err
	}
	_, closer, err := s.db.Get(tombstoneKey(stream))
	switch {
	case err == nil:
		closer.Close()
		h.deleted = true
	case !errors.Is(err, pebble.ErrNotFound):
		return head{}, err
	}
	s.heads[stream] = h
	return h, nil
}

func (s *Store) lookupID(id [16]byte) (idEntry, bool, error) {
	v, closer, err := s.db.Get(idKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return idEntry{}, false, nil
	}
	if err != nil {
		return idEntry{}, false, err
	}
	pos, err := decodePos(v)
	closer.Close()
	if err != nil {
		return idEntry{}, false, err
	}
	rec, closer, err := s.db.Get(eventKey(pos))
	if err != nil {
		return idEntry{}, false, err
	}
	defer closer.Close()
	h, _, _, err := decodeHeader(rec)
	if err != nil {
		return idEntry{}, false, err
	}
	return idEntry{pos: pos, stream: h.stream, rev: h.rev}, true, nil
}
