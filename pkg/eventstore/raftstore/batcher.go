package raftstore

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/hashicorp/raft"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
)

// Group commit on the leader. Every append that reaches the leader (its own
// callers' and those forwarded by followers) is queued; one goroutine takes
// everything that is waiting, up to MaxBatchCommands or MaxBatchBytes, and
// proposes it as one raft entry. Up to MaxInflightEntries entries are in
// raft at once: while they replicate, the next group gathers. Raft itself
// writes every entry waiting on its apply channel with one log-store commit
// and applies committed entries to the state machine in batches, so
// concurrent appends share disk writes at every step.

// proposal is one command waiting for its entry.
type proposal struct {
	cmd  []byte // the command, encoded (appendCommand)
	done chan proposed
}

// proposed is what became of a proposal: its command's outcome and the raft
// index of its entry, or a failure of the entry as a whole.
type proposed struct {
	out   embedded.Outcome
	index uint64
	err   error
}

type inflightEntry struct {
	f     raft.ApplyFuture
	batch []*proposal
}

// propose runs cmd through the leader's group commit. It fails with a
// *notLeaderError when this node does not lead.
func (s *Store) propose(ctx context.Context, cmd []byte) (proposed, error) {
	if s.raft.State() != raft.Leader {
		addr, _ := s.raft.LeaderWithID()
		return proposed{}, &notLeaderError{leaderAddr: string(addr)}
	}
	p := &proposal{cmd: cmd, done: make(chan proposed, 1)}
	select {
	case s.proposals <- p:
	case <-s.closing:
		return proposed{}, eventstore.ErrClosed
	case <-ctx.Done():
		return proposed{}, ctx.Err()
	}
	select {
	case r := <-p.done:
		return r, r.err
	case <-s.batcherDone:
		// Queued as the store closed: answered, or never proposed.
		select {
		case r := <-p.done:
			return r, r.err
		default:
			return proposed{}, eventstore.ErrClosed
		}
	case <-ctx.Done():
		// The entry may still commit; a retry with the same event IDs is
		// answered from the idempotency index.
		return proposed{}, ctx.Err()
	}
}

func (s *Store) batchLoop() {
	defer close(s.batcherDone)
	// slots bounds the entries in raft at once. A group is closed only once
	// a slot is free, so that appends arriving while raft is busy join the
	// next group instead of waiting behind a small one.
	slots := make(chan struct{}, s.cfg.MaxInflightEntries)
	inflight := make(chan inflightEntry, s.cfg.MaxInflightEntries)
	completed := make(chan struct{})
	go s.completeLoop(inflight, slots, completed)
	defer func() {
		close(inflight)
		<-completed
	}()
	var buf []byte
	for {
		var first *proposal
		select {
		case first = <-s.proposals:
		case <-s.closing:
			s.failQueued()
			return
		}
		select {
		case slots <- struct{}{}:
		case <-s.closing:
			first.done <- proposed{err: eventstore.ErrClosed}
			s.failQueued()
			return
		}
		batch := []*proposal{first}
		size := len(first.cmd)
	fill:
		for len(batch) < s.cfg.MaxBatchCommands && size < s.cfg.MaxBatchBytes {
			select {
			case p := <-s.proposals:
				batch = append(batch, p)
				size += len(p.cmd)
			default:
				break fill
			}
		}
		buf = s.encodeEntry(buf[:0], batch)
		// Raft keeps the slice until the entry is written: give it its own.
		data := append([]byte(nil), buf...)
		inflight <- inflightEntry{f: s.raft.Apply(data, 0), batch: batch}
	}
}

// encodeEntry lays out a batch as encodeBatch does, from commands that the
// callers have already encoded (in their own goroutines).
func (s *Store) encodeEntry(buf []byte, batch []*proposal) []byte {
	buf = append(buf, entryAppendBatch)
	buf = binary.AppendVarint(buf, s.stamp().UnixNano())
	buf = binary.AppendUvarint(buf, uint64(len(batch)))
	for _, p := range batch {
		buf = append(buf, p.cmd...)
	}
	return buf
}

// stamp is the leader's recorded-at time for the next entry: its clock, but
// never before a time already stamped (by it, or by an earlier leader whose
// entries it has applied), so that recorded-at does not go backwards when
// leadership moves to a node whose clock is a little behind.
func (s *Store) stamp() time.Time {
	now := time.Now().UnixNano()
	for {
		floor := s.stampFloor.Load()
		if now <= floor {
			now = floor
		}
		if s.stampFloor.CompareAndSwap(floor, now) {
			return time.Unix(0, now).UTC()
		}
	}
}

// raiseStampFloor moves the floor up to t (used when leadership is gained).
func (s *Store) raiseStampFloor(t time.Time) {
	n := t.UnixNano()
	for {
		floor := s.stampFloor.Load()
		if n <= floor || s.stampFloor.CompareAndSwap(floor, n) {
			return
		}
	}
}

// completeLoop answers the proposals of each entry once raft has applied it
// on this node (the future resolves after the leader's state machine), in
// log order.
func (s *Store) completeLoop(inflight <-chan inflightEntry, slots <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for e := range inflight {
		s.complete(e)
		<-slots
	}
}

func (s *Store) complete(e inflightEntry) {
	err := fromRaft(s.await(e.f))
	var res *applyResult
	if err == nil {
		var ok bool
		if res, ok = e.f.Response().(*applyResult); !ok || len(res.outs) != len(e.batch) {
			err = errors.New("raftstore: the state machine gave no outcome for an entry")
		}
	}
	for i, p := range e.batch {
		if err != nil {
			p.done <- proposed{err: err}
			continue
		}
		p.done <- proposed{out: res.outs[i], index: e.f.Index()}
	}
}

// failQueued answers whatever is still queued when the store closes.
func (s *Store) failQueued() {
	for {
		select {
		case p := <-s.proposals:
			p.done <- proposed{err: eventstore.ErrClosed}
		default:
			return
		}
	}
}
