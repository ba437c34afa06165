package raftstore

import (
	"context"
	"time"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/raftstore/internal/wire"
)

// rpcService answers other nodes (net/rpc over the multiplexed port).
// Failures travel in the reply, typed (wire.Error), never as the method's
// error, which net/rpc would flatten to a string.
type rpcService struct{ s *Store }

// ctx bounds a request by the caller's remaining deadline (or LeaderWait)
// and by this node's shutdown.
func (r *rpcService) ctx(timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		timeout = r.s.cfg.LeaderWait
	}
	return context.WithTimeout(r.s.life, timeout)
}

// Write decides a forwarded append or delete. Only the leader does; any
// other node answers CodeNotLeader and the sender tries the leader itself.
func (r *rpcService) Write(args *wire.WriteArgs, reply *wire.WriteReply) error {
	ctx, cancel := r.ctx(args.Timeout)
	defer cancel()
	// A command the state machine could not decode would stop every node:
	// check it here, where a bad one costs one request.
	cmd, err := decodeCommand(args.Command)
	if err == nil {
		if cmd.Delete {
			if cmd.Stream == "" {
				err = &eventstore.InvalidEventError{Reason: "empty stream name"}
			}
		} else {
			err = eventstore.ValidateAppend(cmd.Stream, cmd.Events)
		}
	}
	if err != nil {
		reply.Err = toWire(err)
		return nil
	}
	p, err := r.s.propose(ctx, args.Command)
	if err != nil {
		reply.Err = toWire(err)
		return nil
	}
	reply.Err = toWire(p.out.Err)
	reply.NextRevision = p.out.Result.NextRevision
	reply.Position = uint64(p.out.Result.Position)
	reply.Index = p.index
	return nil
}

// Join adds a member. A request from a node that is joining is forwarded to
// the leader; one a member forwarded already is not forwarded again.
func (r *rpcService) Join(args *wire.JoinArgs, reply *wire.Reply) error {
	ctx, cancel := r.ctx(args.Timeout)
	defer cancel()
	if args.Forwarded {
		if !r.s.leads() {
			reply.Err = toWire(&notLeaderError{})
			return nil
		}
		reply.Err = toWire(r.s.joinLocal(ctx, args.ID, args.Address, args.Voter))
		return nil
	}
	reply.Err = toWire(r.s.Join(ctx, args.ID, args.Address, args.Voter))
	return nil
}

// Remove removes a member (leader only).
func (r *rpcService) Remove(args *wire.RemoveArgs, reply *wire.Reply) error {
	ctx, cancel := r.ctx(args.Timeout)
	defer cancel()
	if !r.s.leads() {
		reply.Err = toWire(&notLeaderError{})
		return nil
	}
	reply.Err = toWire(r.s.removeLocal(ctx, args.ID))
	return nil
}

// Transfer hands leadership over (leader only).
func (r *rpcService) Transfer(args *wire.TransferArgs, reply *wire.Reply) error {
	reply.Err = toWire(r.s.transferLocal(args.TargetID))
	return nil
}

// Barrier returns a read index (leader only).
func (r *rpcService) Barrier(args *wire.BarrierArgs, reply *wire.BarrierReply) error {
	ctx, cancel := r.ctx(args.Timeout)
	defer cancel()
	idx, err := r.s.barrierLocal(ctx)
	reply.Index = idx
	reply.Err = toWire(err)
	return nil
}

// Status reports this node's view.
func (r *rpcService) Status(_ *wire.StatusArgs, reply *wire.StatusReply) error {
	st := r.s.Status()
	*reply = wire.StatusReply{
		NodeID: st.NodeID, Address: st.Address, State: st.State, LeaderID: st.LeaderID, LeaderAddress: st.LeaderAddress,
		Term: st.Term, LastIndex: st.LastIndex, CommitIndex: st.CommitIndex, AppliedIndex: st.AppliedIndex, LastContact: st.LastContact,
	}
	for _, srv := range st.Servers {
		reply.Servers = append(reply.Servers, wire.Server{ID: srv.ID, Address: srv.Address, Suffrage: string(srv.Suffrage)})
	}
	return nil
}
