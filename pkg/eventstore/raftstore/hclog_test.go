package raftstore

import (
	"errors"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestHclog_passes_raft_messages_at_or_above_its_level_to_zap(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	l := newHclog(zap.New(core), "warn").Named("raft").With("peer", "node1")
	l.Info("entering follower state", "term", 3)
	l.Warn("heartbeat timeout reached", "last-leader-addr", "127.0.0.1:1", "error", errors.New("boom"))
	l.Error("odd", "dangling")
	if logs.Len() != 2 {
		t.Fatalf("%d entries logged, want the warning and the error only", logs.Len())
	}
	w := logs.All()[0]
	if w.Level != zapcore.WarnLevel || w.LoggerName != "raft" || w.Message != "heartbeat timeout reached" {
		t.Fatalf("warning logged as %+v", w)
	}
	fields := w.ContextMap()
	if fields["peer"] != "node1" || fields["last-leader-addr"] != "127.0.0.1:1" || fields["error"] != "boom" {
		t.Fatalf("fields %v", fields)
	}
	if logs.All()[1].ContextMap()["extra"] != "dangling" {
		t.Fatalf("an odd argument was lost: %v", logs.All()[1].ContextMap())
	}
	l.SetLevel(1) // hclog.Trace
	if !l.IsDebug() {
		t.Fatal("level change not seen")
	}
}
