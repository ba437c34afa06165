package raftstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"strings"
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/zap"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/raftstore/internal/wire"
)

// Suffrage says whether a server votes.
type Suffrage string

const (
	Voter    Suffrage = "voter"
	NonVoter Suffrage = "nonvoter"
	// Staging is a server being caught up before it becomes a voter.
	Staging Suffrage = "staging"
)

// Server is one member of the cluster.
type Server struct {
	ID       string
	Address  string
	Suffrage Suffrage
}

// Status is a node's view of itself and the cluster.
type Status struct {
	NodeID  string
	Address string
	// State is "Leader", "Follower", "Candidate" or "Shutdown".
	State         string
	LeaderID      string
	LeaderAddress string
	Term          uint64
	// LastIndex, CommitIndex and AppliedIndex are raft's: the last entry in
	// this node's log, the last it knows committed, the last handed to the
	// state machine.
	LastIndex   uint64
	CommitIndex uint64
	// AppliedIndex is the last raft index applied to this node's event
	// store: what read-your-writes and barriers wait for.
	AppliedIndex uint64
	// LastContact is when this follower last heard from the leader (zero on
	// the leader, and before any contact).
	LastContact time.Time
	Servers     []Server
}

// Status reports this node's view of the cluster.
func (s *Store) Status() Status {
	addr, id := s.raft.LeaderWithID()
	st := Status{
		NodeID:        s.cfg.NodeID,
		Address:       string(s.mux.advertise),
		State:         s.raft.State().String(),
		LeaderID:      string(id),
		LeaderAddress: string(addr),
		Term:          s.raft.CurrentTerm(),
		LastIndex:     s.raft.LastIndex(),
		CommitIndex:   s.raft.CommitIndex(),
		AppliedIndex:  s.fsm.applied.Load(),
	}
	if st.State != raft.Leader.String() {
		st.LastContact = s.raft.LastContact()
	}
	if f := s.raft.GetConfiguration(); f.Error() == nil {
		for _, srv := range f.Configuration().Servers {
			st.Servers = append(st.Servers, Server{ID: string(srv.ID), Address: string(srv.Address), Suffrage: suffrageOf(srv.Suffrage)})
		}
	}
	return st
}

func suffrageOf(s raft.ServerSuffrage) Suffrage {
	switch s {
	case raft.Voter:
		return Voter
	case raft.Nonvoter:
		return NonVoter
	}
	return Staging
}

// WaitForLeader returns once the cluster has a leader this node knows of.
func (s *Store) WaitForLeader(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if _, id := s.raft.LeaderWithID(); id != "" {
			return nil
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return fmt.Errorf("%w (%w)", eventstore.ErrUnavailable, ctx.Err())
		case <-s.closing:
			return eventstore.ErrClosed
		}
	}
}

// Join adds a node to the cluster, as a voter or a non-voter, or changes a
// member's suffrage. It may be called on any node (it is carried out by the
// leader). Joining a member again with the same address is a no-op; a
// member known under the same ID or address with the other is replaced.
func (s *Store) Join(ctx context.Context, id, address string, voter bool) error {
	if id == "" || address == "" {
		return errors.New("raftstore: join needs a node ID and an address")
	}
	return s.onLeader(ctx,
		func(ctx context.Context) error { return s.joinLocal(ctx, id, address, voter) },
		func(ctx context.Context, leader string) error {
			var reply wire.Reply
			if err := s.peers.call(ctx, leader, wire.MethodJoin, &wire.JoinArgs{ID: id, Address: address, Voter: voter, Timeout: remaining(ctx), Forwarded: true}, &reply); err != nil {
				return err
			}
			return fromWire(reply.Err)
		})
}

func (s *Store) joinLocal(ctx context.Context, id, address string, voter bool) error {
	timeout := s.changeTimeout(ctx)
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return fromRaft(err)
	}
	for _, srv := range f.Configuration().Servers {
		sameID, sameAddr := string(srv.ID) == id, string(srv.Address) == address
		switch {
		case sameID && sameAddr:
			switch {
			case voter && srv.Suffrage == raft.Voter, !voter && srv.Suffrage == raft.Nonvoter:
				return nil
			case !voter:
				return fromRaft(s.raft.DemoteVoter(srv.ID, 0, timeout).Error())
			}
			// A non-voter (or staging server) to promote: AddVoter below.
		case sameID || sameAddr:
			if err := s.raft.RemoveServer(srv.ID, 0, timeout).Error(); err != nil {
				return fromRaft(err)
			}
		}
	}
	var err error
	if voter {
		err = s.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(address), 0, timeout).Error()
	} else {
		err = s.raft.AddNonvoter(raft.ServerID(id), raft.ServerAddress(address), 0, timeout).Error()
	}
	if err == nil {
		s.log.Info("raft member added", zap.String("member", id), zap.String("addr", address), zap.Bool("voter", voter))
	}
	return fromRaft(err)
}

// Remove takes a node out of the cluster. It may be called on any node.
func (s *Store) Remove(ctx context.Context, id string) error {
	return s.onLeader(ctx,
		func(ctx context.Context) error { return s.removeLocal(ctx, id) },
		func(ctx context.Context, leader string) error {
			var reply wire.Reply
			if err := s.peers.call(ctx, leader, wire.MethodRemove, &wire.RemoveArgs{ID: id, Timeout: remaining(ctx)}, &reply); err != nil {
				return err
			}
			return fromWire(reply.Err)
		})
}

func (s *Store) removeLocal(ctx context.Context, id string) error {
	err := fromRaft(s.raft.RemoveServer(raft.ServerID(id), 0, s.changeTimeout(ctx)).Error())
	if err == nil {
		s.log.Info("raft member removed", zap.String("member", id))
	}
	return err
}

// TransferLeadership asks the leader to hand over to targetID, or (empty)
// to the most up-to-date voter, and waits until it has. It may be called on
// any node.
func (s *Store) TransferLeadership(ctx context.Context, targetID string) error {
	return s.onLeader(ctx,
		func(ctx context.Context) error { return s.transferLocal(targetID) },
		func(ctx context.Context, leader string) error {
			var reply wire.Reply
			if err := s.peers.call(ctx, leader, wire.MethodTransfer, &wire.TransferArgs{TargetID: targetID, Timeout: remaining(ctx)}, &reply); err != nil {
				return err
			}
			return fromWire(reply.Err)
		})
}

func (s *Store) transferLocal(targetID string) error {
	if s.raft.State() != raft.Leader {
		return &notLeaderError{}
	}
	if targetID == "" {
		return transferErr(s.raft.LeadershipTransfer().Error())
	}
	if targetID == s.cfg.NodeID {
		return nil
	}
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return fromRaft(err)
	}
	for _, srv := range f.Configuration().Servers {
		if string(srv.ID) == targetID {
			return transferErr(s.raft.LeadershipTransferToServer(srv.ID, srv.Address).Error())
		}
	}
	return fmt.Errorf("raftstore: no member %q to hand leadership to", targetID)
}

// transferErr keeps a failed transfer from being retried as "not the
// leader" (after a transfer this node is not, whether or not it worked).
func transferErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("raftstore: leadership transfer: %w", err)
}

// changeTimeout bounds a configuration change by the caller's deadline.
func (s *Store) changeTimeout(ctx context.Context) time.Duration {
	if d := remaining(ctx); d > 0 {
		return d
	}
	return s.cfg.LeaderWait
}

// LinearizableBarrier makes the reads that follow it on this node
// linearizable: it asks the leader to confirm its leadership and apply
// everything committed so far (a raft barrier), then waits until this node
// has applied as much. Reads without it see this node's own writes and
// everything it has applied, which may trail the leader by a few
// milliseconds.
func (s *Store) LinearizableBarrier(ctx context.Context) error {
	var index uint64
	err := s.onLeader(ctx,
		func(ctx context.Context) error {
			i, err := s.barrierLocal(ctx)
			index = i
			return err
		},
		func(ctx context.Context, leader string) error {
			var reply wire.BarrierReply
			if err := s.peers.call(ctx, leader, wire.MethodBarrier, &wire.BarrierArgs{Timeout: remaining(ctx)}, &reply); err != nil {
				return err
			}
			index = reply.Index
			return fromWire(reply.Err)
		})
	if err != nil {
		return err
	}
	return s.waitApplied(ctx, index)
}

// barrierLocal runs a raft barrier on the leader and returns the index its
// state machine had applied by then: every entry committed before the call.
// The barrier is itself an entry of the leader's term, so its commit proves
// the leadership was current.
func (s *Store) barrierLocal(ctx context.Context) (uint64, error) {
	if s.raft.State() != raft.Leader {
		addr, _ := s.raft.LeaderWithID()
		return 0, &notLeaderError{leaderAddr: string(addr)}
	}
	if err := fromRaft(s.await(s.raft.Barrier(s.changeTimeout(ctx)))); err != nil {
		return 0, err
	}
	return s.fsm.applied.Load(), nil
}

// joinCluster asks the nodes in Config.Join, in turn, to add this one,
// until one has or ctx ends. Any member will do: it forwards to its leader.
func (s *Store) joinCluster(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	var last error
	for {
		for _, a := range s.cfg.Join {
			if a == string(s.mux.advertise) {
				continue
			}
			err := askToJoin(ctx, a, &wire.JoinArgs{ID: s.cfg.NodeID, Address: string(s.mux.advertise), Voter: !s.cfg.NonVoter, Timeout: s.cfg.LeaderWait})
			if err == nil {
				s.log.Info("joined raft cluster", zap.String("via", a))
				return nil
			}
			last = err
			s.log.Warn("raft join attempt failed", zap.String("via", a), zap.Error(err))
		}
		select {
		case <-time.After(backoff):
			backoff = min(2*backoff, 2*time.Second)
		case <-ctx.Done():
			return fmt.Errorf("raftstore: could not join the cluster through %s: %w (last: %v)", strings.Join(s.cfg.Join, ", "), ctx.Err(), last)
		}
	}
}

func askToJoin(ctx context.Context, address string, args *wire.JoinArgs) error {
	var reply wire.Reply
	if err := callOnce(ctx, address, wire.MethodJoin, args, &reply); err != nil {
		return err
	}
	return fromWire(reply.Err)
}

// QueryStatus asks the node at address for its Status (for operators'
// tools: no Store is needed).
func QueryStatus(ctx context.Context, address string) (Status, error) {
	var r wire.StatusReply
	if err := callOnce(ctx, address, wire.MethodStatus, &wire.StatusArgs{}, &r); err != nil {
		return Status{}, err
	}
	if err := fromWire(r.Err); err != nil {
		return Status{}, err
	}
	st := Status{
		NodeID: r.NodeID, Address: r.Address, State: r.State, LeaderID: r.LeaderID, LeaderAddress: r.LeaderAddress,
		Term: r.Term, LastIndex: r.LastIndex, CommitIndex: r.CommitIndex, AppliedIndex: r.AppliedIndex, LastContact: r.LastContact,
	}
	for _, srv := range r.Servers {
		st.Servers = append(st.Servers, Server{ID: srv.ID, Address: srv.Address, Suffrage: Suffrage(srv.Suffrage)})
	}
	return st, nil
}

// callOnce makes one RPC on a connection of its own (for a node that is not
// yet, or not at all, a member).
func callOnce(ctx context.Context, address, method string, args, reply any) error {
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return err
	}
	if _, err := conn.Write([]byte{protoRPC}); err != nil {
		conn.Close()
		return err
	}
	c := rpc.NewClient(conn)
	defer c.Close()
	call := c.Go(method, args, reply, make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
		return call.Error
	case <-ctx.Done():
		return ctx.Err()
	}
}

// leads reports whether raft has this node as leader (IsLeader also waits
// for the leadership barrier).
func (s *Store) leads() bool { return s.raft.State() == raft.Leader }
