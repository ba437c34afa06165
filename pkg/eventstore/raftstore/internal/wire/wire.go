// Package wire holds the messages of raftstore's node-to-node RPC (forwarded
// writes, cluster changes, barriers, status). They are exported only because
// net/rpc encodes exported types; nothing outside raftstore uses them.
//
// Fields are only ever added: a node of the previous version ignores a field
// it does not know (gob), and a zero value must mean what it meant before.
package wire

import "time"

// Service is the name the RPC service is registered under.
const Service = "Raftstore"

// Method names.
const (
	MethodWrite    = Service + ".Write"
	MethodJoin     = Service + ".Join"
	MethodRemove   = Service + ".Remove"
	MethodTransfer = Service + ".Transfer"
	MethodBarrier  = Service + ".Barrier"
	MethodStatus   = Service + ".Status"
)

// Error codes. Numbered and never reused.
const (
	CodeOK                   = 0
	CodeWrongExpectedVersion = 1
	CodeStreamDeleted        = 2
	CodeIdempotencyMismatch  = 3
	CodeInvalidEvent         = 4
	CodeNotLeader            = 5 // retry at LeaderAddr (may be empty)
	CodeClosed               = 6 // the node is shutting down: retry elsewhere
	CodeInternal             = 7 // Message says what; not retried
	CodeStreamNotFound       = 8
)

// Error is a typed error on the wire.
type Error struct {
	Code       int
	Message    string
	LeaderAddr string
	// Wrong expected version.
	Stream       string
	Expected     []byte // the expectation, encoded as in a log entry
	ActualExists bool
	Actual       uint64
	// Invalid event.
	Reason string
}

// WriteArgs forwards one append or delete to the leader.
type WriteArgs struct {
	// Command is the append or delete, encoded as in a log entry.
	Command []byte
	// Timeout is what is left of the caller's deadline (0: none).
	Timeout time.Duration
}

// WriteReply is the outcome of a forwarded write.
type WriteReply struct {
	Err          Error
	NextRevision uint64
	Position     uint64
	// Index is the raft index of the entry that decided the write: the
	// follower answers its caller once it has applied it (read-your-writes).
	Index uint64
}

// JoinArgs asks the leader to add a server.
type JoinArgs struct {
	ID, Address string
	Voter       bool
	Timeout     time.Duration
	// Forwarded marks a request a member sent to the node it takes for the
	// leader: that node does not forward it again.
	Forwarded bool
}

// RemoveArgs asks the leader to remove a server.
type RemoveArgs struct {
	ID      string
	Timeout time.Duration
}

// TransferArgs asks the leader to hand leadership over (Target empty: to
// the most up-to-date voter).
type TransferArgs struct {
	TargetID string
	Timeout  time.Duration
}

// BarrierArgs asks the leader for a read index.
type BarrierArgs struct {
	Timeout time.Duration
}

// BarrierReply carries the index the leader had applied after confirming
// its leadership.
type BarrierReply struct {
	Err   Error
	Index uint64
}

// Reply is the answer to a request that returns nothing else.
type Reply struct {
	Err Error
}

// StatusArgs asks a node for its status.
type StatusArgs struct{}

// Server is one member of the cluster's configuration.
type Server struct {
	ID, Address, Suffrage string
}

// StatusReply is a node's view of the cluster.
type StatusReply struct {
	Err                     Error
	NodeID, Address, State  string
	LeaderID, LeaderAddress string
	Term                    uint64
	LastIndex               uint64
	CommitIndex             uint64
	AppliedIndex            uint64
	StoreIndex              uint64
	LastContact             time.Time
	Servers                 []Server
}
