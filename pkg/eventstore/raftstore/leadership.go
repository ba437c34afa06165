package raftstore

import (
	"context"
	"sync"

	"github.com/hashicorp/raft"
	"go.uber.org/zap"

	"carecoord/pkg/eventstore"
)

// leadership is what the service layer sees of raft's leadership: true from
// the moment this node leads and has applied every entry committed before
// (so a process manager started on it sees all history), false when it
// stops leading. Watchers get the latest value; an intermediate flip may be
// skipped, a final state never is.
type leadership struct {
	mu       sync.Mutex
	leader   bool
	watchers map[chan bool]struct{}
}

func (l *leadership) init() { l.watchers = make(map[chan bool]struct{}) }

func (l *leadership) is() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leader
}

func (l *leadership) set(v bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leader == v {
		return
	}
	l.leader = v
	for ch := range l.watchers {
		sendLatest(ch, v)
	}
}

// sendLatest replaces whatever is waiting in a one-slot channel with v.
func sendLatest(ch chan bool, v bool) {
	select {
	case <-ch:
	default:
	}
	ch <- v
}

func (l *leadership) watch() chan bool {
	ch := make(chan bool, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	ch <- l.leader
	l.watchers[ch] = struct{}{}
	return ch
}

func (l *leadership) unwatch(ch chan bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.watchers, ch)
}

// IsLeader reports whether this node leads the cluster and has applied
// everything committed before its leadership began. Process managers that
// must run once per cluster run where it is true.
func (s *Store) IsLeader() bool {
	return s.lead.is() && s.raft.State() == raft.Leader
}

// LeaderChanges delivers this node's leadership (IsLeader) now and after
// every change, until ctx ends or the store closes; then the channel is
// closed. Each caller gets its own channel. A slow reader sees the latest
// value, not every flip.
func (s *Store) LeaderChanges(ctx context.Context) <-chan bool {
	in := s.lead.watch()
	out := make(chan bool, 1)
	go func() {
		defer close(out)
		defer s.lead.unwatch(in)
		for {
			select {
			case v := <-in:
				// Forward, keeping only the latest if out is unread.
				sendLatest(out, v)
			case <-ctx.Done():
				return
			case <-s.closing:
				return
			}
		}
	}()
	return out
}

// leadershipLoop follows raft's leadership notifications.
func (s *Store) leadershipLoop() {
	defer s.wg.Done()
	for {
		select {
		case leader := <-s.notifyCh:
			if !leader {
				s.lead.set(false)
				s.log.Info("raft leadership lost")
				continue
			}
			s.becomeLeader()
		case <-s.closing:
			s.lead.set(false)
			return
		}
	}
}

// becomeLeader waits until every entry committed before this leadership is
// applied here (a barrier), then announces it.
func (s *Store) becomeLeader() {
	if err := s.await(s.raft.Barrier(s.cfg.LeaderWait)); err != nil {
		// Lost already, or shutting down: a later notification says which.
		s.log.Info("raft leadership not established", zap.Error(err))
		return
	}
	// New entries are stamped no earlier than the last event recorded.
	if last, err := s.local.ReadAll(context.Background(), eventstore.End, eventstore.Backwards, 1); err == nil && len(last) == 1 {
		s.raiseStampFloor(last[0].RecordedAt)
	}
	if s.raft.State() != raft.Leader {
		return
	}
	s.lead.set(true)
	s.log.Info("raft leadership established")
}
