package raftstore

import (
	"errors"
	"fmt"

	"github.com/hashicorp/raft"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/eventcodec"
	"carecoord/pkg/eventstore/raftstore/internal/wire"
)

// notLeaderError says this node cannot do what only the leader does; the
// request is retried at the leader. For an apply cut short by a lost
// leadership the entry may still commit, which is why only idempotent
// requests (appends, by their event IDs) are retried blindly.
type notLeaderError struct {
	leaderAddr string
	cause      error
}

func (e *notLeaderError) Error() string {
	if e.cause != nil {
		return "raftstore: not the leader: " + e.cause.Error()
	}
	return "raftstore: not the leader"
}

func (e *notLeaderError) Unwrap() error { return e.cause }

// peerError is a failure to reach another node (connection refused, reset,
// closed mid-call). The request may or may not have been carried out.
type peerError struct {
	addr string
	err  error
}

func (e *peerError) Error() string { return fmt.Sprintf("raftstore: node %s: %v", e.addr, e.err) }
func (e *peerError) Unwrap() error { return e.err }

// errRemoteClosed is a node that is shutting down; another will lead.
var errRemoteClosed = errors.New("raftstore: the leader is shutting down")

// retryable reports whether a request may be tried again at the (possibly
// new) leader.
func retryable(err error) bool {
	var nl *notLeaderError
	var pe *peerError
	return errors.As(err, &nl) || errors.As(err, &pe) || errors.Is(err, errRemoteClosed) || errors.Is(err, errLeaderChanged)
}

// fromRaft maps an error of a raft future.
func fromRaft(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrRaftShutdown):
		return eventstore.ErrClosed
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost),
		errors.Is(err, raft.ErrLeadershipTransferInProgress), errors.Is(err, raft.ErrAbortedByRestore),
		errors.Is(err, raft.ErrEnqueueTimeout):
		return &notLeaderError{cause: err}
	}
	return err
}

// toWire encodes an error for the RPC reply. Typed store errors keep their
// details so that the follower rebuilds the same error for its caller.
func toWire(err error) wire.Error {
	var (
		wev *eventstore.WrongExpectedVersionError
		iev *eventstore.InvalidEventError
		nl  *notLeaderError
	)
	switch {
	case err == nil:
		return wire.Error{}
	case errors.As(err, &wev):
		return wire.Error{Code: wire.CodeWrongExpectedVersion, Stream: wev.Stream, Expected: appendExpected(nil, wev.Expected), ActualExists: wev.ActualExists, Actual: wev.Actual}
	case errors.As(err, &iev):
		return wire.Error{Code: wire.CodeInvalidEvent, Reason: iev.Reason}
	case errors.Is(err, eventstore.ErrStreamDeleted):
		return wire.Error{Code: wire.CodeStreamDeleted}
	case errors.Is(err, eventstore.ErrIdempotencyMismatch):
		return wire.Error{Code: wire.CodeIdempotencyMismatch}
	case errors.Is(err, eventstore.ErrStreamNotFound):
		return wire.Error{Code: wire.CodeStreamNotFound}
	case errors.As(err, &nl):
		return wire.Error{Code: wire.CodeNotLeader, LeaderAddr: nl.leaderAddr, Message: err.Error()}
	case errors.Is(err, eventstore.ErrClosed):
		return wire.Error{Code: wire.CodeClosed}
	}
	return wire.Error{Code: wire.CodeInternal, Message: err.Error()}
}

// fromWire rebuilds the error the leader sent.
func fromWire(e wire.Error) error {
	switch e.Code {
	case wire.CodeOK:
		return nil
	case wire.CodeWrongExpectedVersion:
		exp := eventstore.Any
		if len(e.Expected) > 0 {
			exp = readExpected(eventcodec.NewReader(e.Expected, errCorruptEntry))
		}
		return &eventstore.WrongExpectedVersionError{Stream: e.Stream, Expected: exp, ActualExists: e.ActualExists, Actual: e.Actual}
	case wire.CodeInvalidEvent:
		return &eventstore.InvalidEventError{Reason: e.Reason}
	case wire.CodeStreamDeleted:
		return eventstore.ErrStreamDeleted
	case wire.CodeIdempotencyMismatch:
		return eventstore.ErrIdempotencyMismatch
	case wire.CodeStreamNotFound:
		return eventstore.ErrStreamNotFound
	case wire.CodeNotLeader:
		return &notLeaderError{leaderAddr: e.LeaderAddr}
	case wire.CodeClosed:
		return errRemoteClosed
	}
	return fmt.Errorf("raftstore: leader: %s", e.Message)
}
