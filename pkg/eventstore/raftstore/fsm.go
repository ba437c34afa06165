package raftstore

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/zap"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
)

// fsm is the raft state machine: a thin wrapper over the embedded store.
// It implements raft.BatchingFSM, so that every log entry raft hands over
// at once is decided and committed in one embedded batch (one Pebble
// commit), with the raft index of the last stored atomically with it.
type fsm struct {
	store *embedded.Store
	log   *zap.Logger

	// skipThrough is the raft index the store had applied when the node
	// started. Raft replays entries after its last snapshot; those the store
	// already holds are skipped.
	skipThrough uint64

	// applied is the raft index of the last entry this state machine has
	// taken in (applied, skipped as already held, or covered by a restored
	// snapshot). Read-your-writes and barriers wait on it.
	applied  atomic.Uint64
	notifyMu sync.Mutex
	notify   chan struct{}

	restores atomic.Uint64 // snapshots restored since start (status, tests)
}

var _ raft.BatchingFSM = (*fsm)(nil)

func newFSM(store *embedded.Store, log *zap.Logger) (*fsm, error) {
	idx, err := store.AppliedIndex()
	if err != nil {
		return nil, err
	}
	f := &fsm{store: store, log: log, skipThrough: idx, notify: make(chan struct{})}
	f.applied.Store(idx)
	return f, nil
}

// applyResult is an entry's response: one outcome per command, in order.
type applyResult struct {
	outs []embedded.Outcome
}

// ApplyBatch implements raft.BatchingFSM.
func (f *fsm) ApplyBatch(logs []*raft.Log) []interface{} {
	resps := make([]interface{}, len(logs))
	type span struct{ log, from, to int }
	var spans []span
	var cmds []*embedded.Command
	var at time.Time
	fresh := false // anything not applied before a restart
	for i, l := range logs {
		if l.Index <= f.skipThrough {
			continue
		}
		fresh = true
		if l.Type != raft.LogCommand {
			continue
		}
		stamp, batch, err := decodeBatch(l.Data)
		if err != nil {
			// Applying less than every replica does would diverge; applying
			// a guess would too. Stop the node.
			f.log.Error("raft log entry cannot be applied; stopping", zap.Uint64("index", l.Index), zap.Error(err))
			panic(fmt.Sprintf("raftstore: log entry %d: %v", l.Index, err))
		}
		for _, c := range batch {
			c.RecordedAt = stamp
		}
		at = stamp
		spans = append(spans, span{i, len(cmds), len(cmds) + len(batch)})
		cmds = append(cmds, batch...)
	}
	last := logs[len(logs)-1].Index
	if fresh {
		// Even a batch of configuration entries alone records its index, so
		// that the store's applied index is always the state machine's (a
		// restart compares it with the latest snapshot's).
		outs, err := f.store.ApplyBatch(cmds, at, last)
		if err != nil {
			// A storage failure: nothing of the batch is known written, and
			// raft will not offer these entries again. Stop the node; on
			// restart raft replays them from the log.
			f.log.Error("event store failed to apply a raft batch; stopping", zap.Uint64("index", last), zap.Error(err))
			panic(fmt.Sprintf("raftstore: applying raft entries up to %d: %v", last, err))
		}
		for _, sp := range spans {
			resps[sp.log] = &applyResult{outs: outs[sp.from:sp.to]}
		}
	}
	f.advance(last)
	return resps
}

// Apply implements raft.FSM (raft uses ApplyBatch; this is for completeness).
func (f *fsm) Apply(l *raft.Log) interface{} {
	return f.ApplyBatch([]*raft.Log{l})[0]
}

func (f *fsm) advance(idx uint64) {
	if idx <= f.applied.Load() {
		return
	}
	f.setApplied(idx)
}

// setApplied records idx (even a lower one, after a restore) and wakes
// whoever waits on the applied index.
func (f *fsm) setApplied(idx uint64) {
	f.applied.Store(idx)
	f.notifyMu.Lock()
	close(f.notify)
	f.notify = make(chan struct{})
	f.notifyMu.Unlock()
}

func (f *fsm) waitChan() <-chan struct{} {
	f.notifyMu.Lock()
	defer f.notifyMu.Unlock()
	return f.notify
}

// waitApplied returns once the state machine has taken in raft index idx.
func (f *fsm) waitApplied(ctx context.Context, idx uint64, closing <-chan struct{}) error {
	for {
		ch := f.waitChan()
		if f.applied.Load() >= idx {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-closing:
			return eventstore.ErrClosed
		}
	}
}

// The raft snapshot is a small header (which raft index the state machine
// had taken in) followed by the embedded store's own snapshot format, which
// carries its own CRC.
const snapshotHeader = "carecoord-raftstore-snapshot-v1\n"

// Snapshot implements raft.FSM. Raft calls it between batches, so the view
// it fixes is exactly the state at the applied index; writing it out happens
// later, in Persist, while batches go on being applied.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	// The store runs without fsync (the raft log is what is durable). Once
	// raft holds this snapshot it may drop the log entries before it, and a
	// restart (NoSnapshotRestoreOnStart) does not replay them: so they must
	// be durable in the store first.
	if err := f.store.Sync(); err != nil {
		return nil, err
	}
	pit, err := f.store.OpenSnapshot()
	if err != nil {
		return nil, err
	}
	return &fsmSnapshot{pit: pit, index: f.applied.Load()}, nil
}

type fsmSnapshot struct {
	pit   *embedded.PointInTime
	index uint64
}

// Persist implements raft.FSMSnapshot.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	err := func() error {
		hdr := binary.BigEndian.AppendUint64([]byte(snapshotHeader), s.index)
		if _, err := sink.Write(hdr); err != nil {
			return err
		}
		_, err := s.pit.WriteTo(sink)
		return err
	}()
	if err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

// Release implements raft.FSMSnapshot.
func (s *fsmSnapshot) Release() { _ = s.pit.Close() }

// Restore implements raft.FSM: the whole store is replaced by the snapshot.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 1<<20)
	hdr := make([]byte, len(snapshotHeader)+8)
	if _, err := io.ReadFull(br, hdr); err != nil || string(hdr[:len(snapshotHeader)]) != snapshotHeader {
		// Nothing was touched yet: raft reports the failure and the store is
		// as it was.
		return errors.New("raftstore: not a raftstore snapshot")
	}
	index := binary.BigEndian.Uint64(hdr[len(snapshotHeader):])
	if err := f.store.Restore(br); err != nil {
		if errors.Is(err, eventstore.ErrClosed) {
			return err
		}
		// The store may be half replaced. Serving reads from it, or applying
		// later entries on top of it, would be wrong; the store's marker
		// makes the next start restore again. Stop the node.
		f.log.Error("restoring a raft snapshot failed part-way; stopping", zap.Uint64("index", index), zap.Error(err))
		panic(fmt.Sprintf("raftstore: restoring snapshot at index %d: %v", index, err))
	}
	// The snapshot carries the leader's applied index; make sure the store
	// says it holds everything up to the header's.
	if got, err := f.store.AppliedIndex(); err == nil && got < index {
		if _, err := f.store.ApplyBatch(nil, time.Time{}, index); err != nil {
			panic(fmt.Sprintf("raftstore: recording restored index %d: %v", index, err))
		}
	}
	// Entries after the snapshot are new to the restored store.
	f.skipThrough = 0
	f.restores.Add(1)
	f.setApplied(index)
	f.log.Info("raft snapshot restored", zap.Uint64("index", index))
	return nil
}
