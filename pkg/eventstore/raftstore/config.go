package raftstore

import (
	"errors"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"go.uber.org/zap"
)

// Config configures one node. NodeID, BindAddr and Dir are required; the
// rest have defaults fit for a 3- or 5-node cluster on a local network.
type Config struct {
	// NodeID names the node for all time (raft's server ID). The data
	// directory remembers it and refuses to open under another ID.
	NodeID string
	// BindAddr is the TCP address the node listens on for raft and for its
	// own RPC (one port, multiplexed). "127.0.0.1:0" picks a free port.
	BindAddr string
	// AdvertiseAddr is the address other nodes reach this one at. Empty: the
	// bound address, which must then not be a wildcard (0.0.0.0).
	AdvertiseAddr string
	// Dir holds the raft log, the snapshots and the event store.
	Dir string

	// Bootstrap makes a node with no state the first voter of a new cluster.
	// Ignored when Dir already holds state.
	Bootstrap bool
	// Join lists addresses of existing nodes; a node with no state asks them
	// (in turn, until one succeeds) to add it. Any node will do: a follower
	// forwards the request to the leader. Ignored when Dir holds state.
	Join []string
	// NonVoter joins the node as a non-voter: it replicates and serves reads
	// but does not count towards the quorum. The zero value is a voter.
	NonVoter bool

	// Logger receives the node's logs. Nil discards them. Raft's own logs go
	// to it too, at RaftLogLevel and above.
	Logger *zap.Logger
	// RaftLogLevel is the least level of raft's own messages that are logged:
	// "trace", "debug", "info", "warn" (default) or "error". Raft is chatty
	// at info (every election, every snapshot).
	RaftLogLevel string

	// HeartbeatTimeout, ElectionTimeout and LeaderLeaseTimeout are raft's;
	// defaults 1s, 1s and 500ms. CommitTimeout (default 10ms, raft's is
	// 50ms) is how long an idle leader waits before telling followers the
	// commit index: a write made on a follower waits that long, at worst,
	// before the follower may answer it (read-your-writes).
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration

	// LeaderWait bounds how long a write (or a barrier, join...) waits for a
	// leader before it fails with eventstore.ErrUnavailable. Default 10s; the
	// caller's context may cut it shorter.
	LeaderWait time.Duration

	// SnapshotInterval, SnapshotThreshold and TrailingLogs are raft's
	// snapshot settings (see DESIGN.md for how the defaults were chosen:
	// check every 2 minutes, snapshot after 128k new entries, keep 256k
	// entries behind a snapshot for followers that were away). SnapshotRetain is how many
	// snapshots are kept on disk (default 2).
	SnapshotInterval  time.Duration
	SnapshotThreshold uint64
	TrailingLogs      uint64
	SnapshotRetain    int

	// MaxBatchCommands and MaxBatchBytes cap one raft entry of grouped
	// appends (defaults 1024 and 1 MiB; one larger append still goes alone).
	// MaxInflightEntries caps how many entries the leader has in raft at
	// once (default 2): more overlaps more round trips, fewer makes bigger
	// groups. See DESIGN.md for the measurements behind the defaults.
	MaxBatchCommands   int
	MaxBatchBytes      int
	MaxInflightEntries int
}

func (c *Config) withDefaults() (Config, error) {
	out := *c
	if out.NodeID == "" {
		return out, errors.New("raftstore: config: NodeID is required")
	}
	if out.BindAddr == "" {
		return out, errors.New("raftstore: config: BindAddr is required")
	}
	if out.Dir == "" {
		return out, errors.New("raftstore: config: Dir is required")
	}
	if out.Logger == nil {
		out.Logger = zap.NewNop()
	}
	if out.RaftLogLevel == "" {
		out.RaftLogLevel = "warn"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&out.HeartbeatTimeout, time.Second)
	def(&out.ElectionTimeout, time.Second)
	def(&out.LeaderLeaseTimeout, 500*time.Millisecond)
	def(&out.CommitTimeout, 10*time.Millisecond)
	def(&out.LeaderWait, 10*time.Second)
	def(&out.SnapshotInterval, 2*time.Minute)
	if out.SnapshotThreshold == 0 {
		out.SnapshotThreshold = 128 << 10
	}
	if out.TrailingLogs == 0 {
		out.TrailingLogs = 256 << 10
	}
	if out.SnapshotRetain <= 0 {
		out.SnapshotRetain = 2
	}
	if out.MaxBatchCommands <= 0 {
		out.MaxBatchCommands = 1024
	}
	if out.MaxBatchBytes <= 0 {
		out.MaxBatchBytes = 1 << 20
	}
	if out.MaxInflightEntries <= 0 {
		out.MaxInflightEntries = 2
	}
	return out, nil
}

// raftConfig is raft's configuration for this node.
func (c *Config) raftConfig(logger hclog.Logger, notify chan bool) *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(c.NodeID)
	rc.HeartbeatTimeout = c.HeartbeatTimeout
	rc.ElectionTimeout = c.ElectionTimeout
	rc.LeaderLeaseTimeout = c.LeaderLeaseTimeout
	rc.CommitTimeout = c.CommitTimeout
	rc.SnapshotInterval = c.SnapshotInterval
	rc.SnapshotThreshold = c.SnapshotThreshold
	rc.TrailingLogs = c.TrailingLogs
	// Let the batcher hand raft several entries without waiting for the
	// leader loop to pick each up.
	rc.BatchApplyCh = true
	rc.NotifyCh = notify
	rc.Logger = logger
	return rc
}
