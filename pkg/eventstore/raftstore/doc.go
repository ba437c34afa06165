// Package raftstore is the replicated backend of pkg/eventstore: the embedded
// engine (pkg/eventstore/embedded) as the state machine of a hashicorp/raft
// cluster of three or five nodes. The leader groups concurrent appends into
// raft log entries; followers forward writes to it and serve reads from their
// own copy, with read-your-writes for their own callers and an optional
// linearizable barrier. It also tells the service layer where leadership is
// (IsLeader, LeaderChanges), so that process managers run once per cluster.
// See DESIGN.md for the choices and why.
//
// It imports pkg/eventstore and the embedded engine, hashicorp/raft with its
// log store (raft-boltdb/v2 on bbolt) and go-hclog (adapted to zap), and zap;
// nothing else of carecoord.
package raftstore
