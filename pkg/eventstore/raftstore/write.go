package raftstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/eventstore/raftstore/internal/wire"
)

// Append implements eventstore.Store. The append is decided by the leader
// (forwarded when this node follows) and returns once this node has applied
// it, so that a read here right after sees it. Across a change of leader it
// is retried with the same event IDs, which the store's idempotency makes
// safe; when no leader can be reached within Config.LeaderWait it fails
// with eventstore.ErrUnavailable.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	// Bad input is rejected here, before it costs a round trip.
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	cmd := appendCommand(nil, &embedded.Command{Stream: stream, Expected: expected, Events: events})
	return s.write(ctx, cmd)
}

// DeleteStream implements eventstore.Store, through the leader as Append
// does. If the leader is lost after the delete was proposed, the retry may
// find the stream already deleted (ErrStreamDeleted).
func (s *Store) DeleteStream(ctx context.Context, stream string, expected eventstore.ExpectedRevision) error {
	if stream == "" {
		return &eventstore.InvalidEventError{Reason: "empty stream name"}
	}
	_, err := s.write(ctx, appendCommand(nil, &embedded.Command{Stream: stream, Expected: expected, Delete: true}))
	return err
}

func (s *Store) write(ctx context.Context, cmd []byte) (eventstore.AppendResult, error) {
	var res eventstore.AppendResult
	var index uint64
	var decided error // the command's own outcome (a typed store error or nil)
	err := s.onLeader(ctx,
		func(ctx context.Context) error {
			p, err := s.propose(ctx, cmd)
			if err != nil {
				return err
			}
			res, index, decided = p.out.Result, p.index, p.out.Err
			return nil
		},
		func(ctx context.Context, leader string) error {
			var reply wire.WriteReply
			err := s.peers.call(ctx, leader, wire.MethodWrite, &wire.WriteArgs{Command: cmd, Timeout: remaining(ctx)}, &reply)
			if err != nil {
				return err
			}
			if err := fromWire(reply.Err); err != nil && (retryable(err) || reply.Index == 0) {
				return err
			}
			res = eventstore.AppendResult{NextRevision: reply.NextRevision, Position: eventstore.Position(reply.Position)}
			index, decided = reply.Index, fromWire(reply.Err)
			return nil
		})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	// Read-your-writes: answer once this node has applied the entry that
	// decided the write (also for a rejection, so that a read after a
	// conflict sees the revision the conflict reported).
	if err := s.waitApplied(ctx, index); err != nil {
		return eventstore.AppendResult{}, err
	}
	if decided != nil {
		return eventstore.AppendResult{}, decided
	}
	return res, nil
}

// onLeader runs a request on the leader: local when this node leads, remote
// (by RPC to the leader) otherwise. A request that fails because leadership
// moved or the leader could not be reached is tried again, until it
// succeeds, the caller's context ends, or Config.LeaderWait has passed,
// which is eventstore.ErrUnavailable.
func (s *Store) onLeader(ctx context.Context, local func(context.Context) error, remote func(ctx context.Context, leader string) error) error {
	start := time.Now()
	backoff := 5 * time.Millisecond
	var last error
	for {
		if s.isClosing() {
			return eventstore.ErrClosed
		}
		addr, id := s.raft.LeaderWithID()
		var err error
		switch {
		case string(id) == s.cfg.NodeID:
			err = local(ctx)
		case addr != "":
			err = s.callLeader(ctx, string(addr), remote)
		default:
			err = errNoLeader
		}
		if err == nil || !(retryable(err) || errors.Is(err, errNoLeader)) {
			return err
		}
		last = err
		wait := min(backoff, s.cfg.LeaderWait-time.Since(start))
		if wait <= 0 {
			return fmt.Errorf("%w: %v", eventstore.ErrUnavailable, last)
		}
		backoff = min(2*backoff, 200*time.Millisecond)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			// Both: the caller's deadline ended it, and the cause was that
			// no leader answered.
			return fmt.Errorf("%w (%w): %v", eventstore.ErrUnavailable, ctx.Err(), last)
		case <-s.closing:
			t.Stop()
			return eventstore.ErrClosed
		}
	}
}

var errNoLeader = errors.New("raftstore: no leader known")

// waitApplied waits until this node has applied raft index idx. Without a
// deadline from the caller it waits LeaderWait at most: a node cut off from
// the leader may never learn that the entry committed.
func (s *Store) waitApplied(ctx context.Context, idx uint64) error {
	if _, ok := ctx.Deadline(); ok {
		return s.fsm.waitApplied(ctx, idx, s.closing)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.LeaderWait)
	defer cancel()
	err := s.fsm.waitApplied(ctx, idx, s.closing)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: the leader decided the write at index %d but this node has not applied it within %s", eventstore.ErrUnavailable, idx, s.cfg.LeaderWait)
	}
	return err
}

// remaining is what is left of ctx's deadline (0: none), for the leader to
// bound its side of a forwarded request.
func remaining(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return max(time.Until(d), time.Millisecond)
	}
	return 0
}
