package raftstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// A write forwarded to a leader that froze (a pause, a partition) would
// wait for it until the caller's deadline, though the others elect a new
// leader within an election timeout. So forwarded requests are cut short
// when this node comes to know another leader (or none), and sent again to
// the new one: safe, because an append is idempotent by its event IDs and
// a barrier or membership change may be repeated.

// leaderPoll is how often the leader this node knows is looked at.
const leaderPoll = 50 * time.Millisecond

// errLeaderChanged ends a forwarded request whose leader this node no
// longer takes for the leader.
var errLeaderChanged = errors.New("raftstore: the leader changed while a request was with it")

// leaderWatch broadcasts changes of the leader this node knows: changed()
// is closed when the leader's address differs from what it was when
// changed() was called.
type leaderWatch struct {
	mu     sync.Mutex
	addr   string
	change chan struct{}
}

// changed returns the leader known now and a channel closed when that
// changes.
func (w *leaderWatch) changed() (string, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.addr, w.change
}

func (w *leaderWatch) observe(addr string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if addr == w.addr {
		return
	}
	w.addr = addr
	close(w.change)
	w.change = make(chan struct{})
}

// leaderWatchLoop follows the leader raft knows, until the store closes.
func (s *Store) leaderWatchLoop() {
	defer s.wg.Done()
	t := time.NewTicker(leaderPoll)
	defer t.Stop()
	for {
		addr, _ := s.raft.LeaderWithID()
		s.leaderSeen.observe(string(addr))
		select {
		case <-t.C:
		case <-s.closing:
			return
		}
	}
}

// callLeader runs remote against leader, cut short (errLeaderChanged) when
// this node comes to know another leader.
func (s *Store) callLeader(ctx context.Context, leader string, remote func(ctx context.Context, leader string) error) error {
	known, changed := s.leaderSeen.changed()
	if known != leader {
		return errLeaderChanged
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-changed:
			cancel()
		case <-done:
		}
	}()
	err := remote(rctx, leader)
	if err != nil && rctx.Err() != nil && ctx.Err() == nil {
		return errLeaderChanged
	}
	return err
}

// await waits for a raft future, or until raft has shut down: raft does
// not answer a future still queued when it shuts down (a barrier asked for
// just before Close would wait for ever, and Close with it).
func (s *Store) await(f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-s.raftDown:
		select {
		case err := <-done:
			return err
		default:
			return raft.ErrRaftShutdown
		}
	}
}
