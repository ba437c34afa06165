// Package embedded is carecoord's default event store: one process, one data
// directory, durable on disk. It is built on Pebble (see DESIGN.md for why and
// how) and is also the state machine of the raft backend, so applying a batch
// is deterministic and the whole store can be snapshotted and restored.
//
// It imports only pkg/eventstore and its storage engine.
package embedded

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"carecoord/pkg/eventstore"
)

// Options configure the store. The zero value is right for most uses.
type Options struct {
	// NoSync skips fsync on commit. Only the raft backend sets it: there the
	// replicated raft log, not this store, is what makes an append durable.
	NoSync bool
	// MaxBatchCommands caps how many appends share one commit (and one fsync).
	MaxBatchCommands int
	// MaxBatchBytes caps the payload bytes of one commit, so that a few large
	// events do not hold small ones back.
	MaxBatchBytes int
	// Logger receives the storage engine's errors; nil discards its chatter
	// and writes errors to standard error.
	Logger pebble.Logger
	// Now is the clock for recorded-at times (tests).
	Now func() time.Time
	// AllowIncompleteRestore opens a store whose last Restore was interrupted,
	// so that the raft backend can restore it again. Otherwise such a store
	// fails to open with ErrIncompleteRestore.
	AllowIncompleteRestore bool
}

// Stats are running counters, for benchmarks and metrics.
type Stats struct {
	// Fsyncs counts durable commits: one fsync of the write-ahead log each.
	Fsyncs uint64
	// Commits counts batches committed (equal to Fsyncs unless NoSync).
	Commits uint64
	// EventsWritten counts events appended (idempotent repeats excluded).
	EventsWritten uint64
	// Appends counts append and delete commands decided.
	Appends uint64
}

// Store is the embedded event store.
type Store struct {
	db   *pebble.DB
	dir  string
	opts Options

	// lifecycle: mu guards closed; Append and every read hold it shared.
	mu       sync.RWMutex
	closed   bool
	closedCh chan struct{}
	reqs     chan *appendReq
	wg       sync.WaitGroup
	failure  atomic.Pointer[error]

	// State owned by the batch-building goroutine (the writer, or the raft FSM).
	last  eventstore.Position
	heads map[string]head

	// committed is the last durable position: readers never see past it.
	committed atomic.Uint64
	notifyMu  sync.Mutex
	notify    chan struct{}

	fsyncs, commits, events, appends atomic.Uint64
}

type appendReq struct {
	cmd  Command
	size int
	done chan Outcome
}

const (
	defaultMaxBatchCommands = 1024
	defaultMaxBatchBytes    = 8 << 20
)

// Open opens (creating if needed) the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	if opts.MaxBatchCommands <= 0 {
		opts.MaxBatchCommands = defaultMaxBatchCommands
	}
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = defaultMaxBatchBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	logger := opts.Logger
	if logger == nil {
		logger = quietLogger{}
	}
	cache := pebble.NewCache(128 << 20)
	defer cache.Unref()
	popts := &pebble.Options{
		FormatMajorVersion: pebble.FormatNewest,
		// A larger memtable absorbs bursts of appends between flushes.
		MemTableSize: 64 << 20,
		Cache:        cache,
		Logger:       logger,
	}
	// Bloom filters let a lookup of a stream or event ID that is not in a
	// table skip it without reading its blocks.
	for i := range popts.Levels {
		popts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(dir, popts)
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", dir, err)
	}
	s := &Store{
		db:       db,
		dir:      dir,
		opts:     opts,
		closedCh: make(chan struct{}),
		reqs:     make(chan *appendReq, 4096),
		heads:    make(map[string]head),
		notify:   make(chan struct{}),
	}
	if err := s.loadLast(); err != nil {
		db.Close()
		return nil, err
	}
	if _, closer, err := db.Get(metaRestoring); err == nil {
		closer.Close()
		if !opts.AllowIncompleteRestore {
			db.Close()
			return nil, ErrIncompleteRestore
		}
	}
	s.wg.Add(1)
	go s.writeLoop()
	return s, nil
}

func (s *Store) loadLast() error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixEvent}, UpperBound: []byte{prefixEvent + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	if it.Last() {
		s.last = posFromEventKey(it.Key())
	}
	s.committed.Store(uint64(s.last))
	return it.Error()
}

// Backend implements eventstore.Store.
func (s *Store) Backend() string { return "embedded" }

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// Stats returns the running counters.
func (s *Store) Stats() Stats {
	return Stats{Fsyncs: s.fsyncs.Load(), Commits: s.commits.Load(), EventsWritten: s.events.Load(), Appends: s.appends.Load()}
}

// LastPosition is the position of the last committed event.
func (s *Store) LastPosition() eventstore.Position {
	return eventstore.Position(s.committed.Load())
}

// Append implements eventstore.Store. Concurrent appends are decided in
// arrival order by one goroutine and committed together, sharing one fsync.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	// Reject bad input before it queues behind good input.
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	size := 0
	for i := range events {
		size += len(events[i].Data)
	}
	return s.submit(ctx, Command{Stream: stream, Expected: expected, Events: events}, size)
}

// DeleteStream implements eventstore.Store.
func (s *Store) DeleteStream(ctx context.Context, stream string, expected eventstore.ExpectedRevision) error {
	_, err := s.submit(ctx, Command{Stream: stream, Expected: expected, Delete: true}, 0)
	return err
}

func (s *Store) submit(ctx context.Context, cmd Command, size int) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	req := &appendReq{cmd: cmd, size: size, done: make(chan Outcome, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	s.reqs <- req
	s.mu.RUnlock()
	select {
	case out := <-req.done:
		return out.Result, out.Err
	case <-ctx.Done():
		// The append may still commit; a retry with the same event IDs is safe.
		return eventstore.AppendResult{}, ctx.Err()
	}
}

// writeLoop is group commit: it takes every append that is waiting, decides
// them in order, writes them in one batch with one fsync, and answers them
// all. It is pipelined: while one batch's fsync is in flight (in syncLoop),
// the next batch is decided and written behind it. The write-ahead log is
// sequential, so a batch is never durable before the ones ahead of it.
func (s *Store) writeLoop() {
	defer s.wg.Done()
	// At most one batch waits behind the one being synced.
	syncs := make(chan *inflight, 1)
	synced := make(chan struct{})
	go s.syncLoop(syncs, synced)
	defer func() {
		close(syncs)
		<-synced
	}()
	for first := range s.reqs {
		batch := []*appendReq{first}
		bytes := first.size
	fill:
		for len(batch) < s.opts.MaxBatchCommands && bytes < s.opts.MaxBatchBytes {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
				bytes += r.size
			default:
				break fill
			}
		}
		if f := s.failure.Load(); f != nil {
			answerAll(batch, *f)
			continue
		}
		syncs <- s.writeBatch(batch)
	}
}

// inflight is a batch written to the log and waiting for its fsync.
type inflight struct {
	b    *pebble.Batch // nil when nothing was written
	reqs []*appendReq
	outs []Outcome
	last eventstore.Position
	evs  uint64
	err  error
}

func (s *Store) writeBatch(reqs []*appendReq) *inflight {
	cmds := make([]*Command, len(reqs))
	for i, r := range reqs {
		cmds[i] = &r.cmd
	}
	bb, outs := s.decide(cmds, s.opts.Now().UTC(), 0)
	f := &inflight{reqs: reqs, outs: outs, last: s.last, evs: bb.events}
	if bb.b.Empty() {
		bb.b.Close()
		return f
	}
	wo := pebble.Sync
	if s.opts.NoSync {
		wo = pebble.NoSync
		f.err = s.db.Apply(bb.b, wo)
		bb.b.Close()
	} else {
		s.fsyncs.Add(1)
		f.err = s.db.ApplyNoSyncWait(bb.b, wo)
		f.b = bb.b
	}
	if f.err == nil {
		// Later batches are decided on top of this one.
		bb.publish()
		f.last = s.last
	}
	return f
}

// syncLoop waits for each batch's fsync in order, then makes it visible and
// answers its appends.
func (s *Store) syncLoop(syncs <-chan *inflight, done chan<- struct{}) {
	defer close(done)
	for f := range syncs {
		err := f.err
		if f.b != nil {
			if err == nil {
				err = f.b.SyncWait()
			}
			f.b.Close()
		}
		if err == nil {
			if f := s.failure.Load(); f != nil {
				err = *f // an earlier batch failed: this one is not known durable
			}
		}
		if err != nil {
			// A storage failure is not a conflict: nothing of this batch is
			// known to be durable, and the store stops taking writes.
			failed := fmt.Errorf("embedded: store failed, reopen required: %w", err)
			s.failure.CompareAndSwap(nil, &failed)
			answerAll(f.reqs, *s.failure.Load())
			continue
		}
		s.commits.Add(1)
		s.events.Add(f.evs)
		s.advance(f.last)
		for i, r := range f.reqs {
			r.done <- f.outs[i]
		}
	}
}

func answerAll(reqs []*appendReq, err error) {
	for _, r := range reqs {
		r.done <- Outcome{Err: err}
	}
}

// decide builds a batch from commands against the committed state.
func (s *Store) decide(cmds []*Command, recordedAt time.Time, raftIndex uint64) (*batchBuilder, []Outcome) {
	bb := s.newBatchBuilder()
	outs := make([]Outcome, len(cmds))
	for i, c := range cmds {
		outs[i] = bb.add(c, recordedAt)
	}
	if raftIndex > 0 {
		_ = bb.b.Set(metaAppliedIndex, encodePos(eventstore.Position(raftIndex)), nil)
	}
	s.appends.Add(uint64(len(cmds)))
	return bb, outs
}

// ApplyBatch decides and commits a batch of commands synchronously. The raft
// backend's state machine calls it for each replicated batch with the raft
// index, which is stored atomically with the batch (so a replayed entry is
// recognised). Calls must not run concurrently with each other or with
// Append. The returned error is a storage failure; per-command rejections are
// in the outcomes.
func (s *Store) ApplyBatch(cmds []*Command, recordedAt time.Time, raftIndex uint64) ([]Outcome, error) {
	bb, outs := s.decide(cmds, recordedAt, raftIndex)
	defer bb.b.Close()
	if bb.b.Empty() {
		return outs, nil
	}
	wo := pebble.Sync
	if s.opts.NoSync {
		wo = pebble.NoSync
	} else {
		s.fsyncs.Add(1)
	}
	if err := s.db.Apply(bb.b, wo); err != nil {
		return nil, err
	}
	s.commits.Add(1)
	s.events.Add(bb.events)
	bb.publish()
	s.advance(s.last)
	return outs, nil
}

// advance makes everything up to pos visible to readers and wakes
// subscriptions.
func (s *Store) advance(pos eventstore.Position) {
	s.committed.Store(uint64(pos))
	s.notifyMu.Lock()
	close(s.notify)
	s.notify = make(chan struct{})
	s.notifyMu.Unlock()
}

func (s *Store) waitChan() <-chan struct{} {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return s.notify
}

// Close implements eventstore.Store: appends already queued are committed,
// later ones get ErrClosed, subscriptions end with ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closedCh)
	close(s.reqs)
	s.mu.Unlock()
	s.wg.Wait()
	// Readers hold mu shared while they touch the engine.
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Close()
}

// readGuard holds the store open for a read.
func (s *Store) readGuard() (func(), error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, eventstore.ErrClosed
	}
	return s.mu.RUnlock, nil
}

// quietLogger drops the engine's informational chatter; errors still reach
// standard error because they precede data loss.
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}
func (quietLogger) Errorf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
	panic(fmt.Sprintf(format, args...))
}

var _ eventstore.Store = (*Store)(nil)
