package raftstore

import (
	"context"
	"errors"

	"carecoord/pkg/eventstore/raftstore/internal/wire"
)

// The operator's calls (`carecoord cluster ...`): each needs only the raft
// address of one member, and finds the leader through it.

// RequestJoin asks the cluster, through the member at address, to add the
// node id at memberAddr (a voter or not), or to change its suffrage.
func RequestJoin(ctx context.Context, address, id, memberAddr string, voter bool) error {
	if id == "" || memberAddr == "" {
		return errors.New("raftstore: join needs a node ID and its raft address")
	}
	return askToJoin(ctx, address, &wire.JoinArgs{ID: id, Address: memberAddr, Voter: voter, Timeout: remaining(ctx)})
}

// RequestRemove asks the cluster's leader, found through the member at
// address, to remove the node id.
func RequestRemove(ctx context.Context, address, id string) error {
	leader, err := leaderOf(ctx, address)
	if err != nil {
		return err
	}
	var reply wire.Reply
	if err := callOnce(ctx, leader, wire.MethodRemove, &wire.RemoveArgs{ID: id, Timeout: remaining(ctx)}, &reply); err != nil {
		return err
	}
	return fromWire(reply.Err)
}

// RequestTransfer asks the cluster's leader, found through the member at
// address, to hand leadership to target (empty: the most up-to-date voter).
func RequestTransfer(ctx context.Context, address, target string) error {
	leader, err := leaderOf(ctx, address)
	if err != nil {
		return err
	}
	var reply wire.Reply
	if err := callOnce(ctx, leader, wire.MethodTransfer, &wire.TransferArgs{TargetID: target, Timeout: remaining(ctx)}, &reply); err != nil {
		return err
	}
	return fromWire(reply.Err)
}

// leaderOf is the raft address of the leader the member at address knows.
func leaderOf(ctx context.Context, address string) (string, error) {
	st, err := QueryStatus(ctx, address)
	if err != nil {
		return "", err
	}
	if st.LeaderAddress == "" {
		return "", errors.New("raftstore: the cluster has no leader just now: retry in a moment")
	}
	return st.LeaderAddress, nil
}
