package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"carecoord/pkg/eventstore/raftstore"
)

// `carecoord cluster` against a real node: a one-node cluster in this
// process, reached over its raft address.
func TestCluster_status_join_and_bad_calls(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := raftstore.Open(ctx, raftstore.Config{NodeID: "n1", BindAddr: "127.0.0.1:0", Dir: filepath.Join(t.TempDir(), "n1"), Bootstrap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	if err := node.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runArgs(nil, "cluster", "status", "--addr", node.Addr())
	if code != 0 || !strings.Contains(out, "node n1") || !strings.Contains(out, "Leader") || !strings.Contains(out, "leader: n1") {
		t.Fatalf("status: %d %q %q", code, out, errOut)
	}
	code, out, _ = runArgs(map[string]string{"CARECOORD_RAFT_ADDR": node.Addr()}, "cluster", "status", "--json")
	var st raftstore.Status
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.NodeID != "n1" || len(st.Servers) != 1 {
		t.Fatalf("status --json from the environment: %d %q", code, out)
	}

	// A lone node has no one to hand leadership to: the cluster's reason,
	// exit 1. Commands without their flags are usage errors.
	if code, _, errOut := runArgs(nil, "cluster", "transfer-leadership", "--addr", node.Addr(), "--timeout", "5s"); code != 1 || errOut == "" {
		t.Fatalf("transfer with no other voter: %d %q, want exit 1 with the reason", code, errOut)
	}
	for _, args := range [][]string{
		{"cluster"},
		{"cluster", "status"},
		{"cluster", "join", "--addr", node.Addr(), "--node-id", "n2"},
		{"cluster", "explode"},
	} {
		if code, _, _ := runArgs(nil, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if code, _, errOut := runArgs(nil, "cluster", "status", "--addr", "127.0.0.1:1", "--timeout", "2s"); code != 1 || errOut == "" {
		t.Errorf("status of nothing listening: %d %q, want exit 1 with the reason", code, errOut)
	}
}
