package graphqlws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"carecoord/pkg/graphqlws"
)

// TestGraphQLWSClient drives the handler with the reference client, the npm
// package graphql-ws, through e2e/ws/subscribe.mjs: it must authenticate with
// connectionParams, receive the subscription's events in order, stop the
// subscription (complete), and run a query over the same socket.
func TestGraphQLWSClient(t *testing.T) {
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		t.Skip("node and npm are needed to run the graphql-ws client")
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "e2e", "ws"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql-ws")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}

	var seen sync.Map
	schema, pr := testSchema(t)
	h := graphqlws.Handler(schema, authOptions(&seen))
	returned := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { returned <- struct{}{} }()
		h.ServeHTTP(w, r)
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/graphql"

	const n = 5
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "subscribe.mjs", url, "subscription Ticks { ticks(n: 1000) }", fmt.Sprint(n), "{ whoami }")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("graphql-ws client: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}

	var got struct {
		Next  []map[string]any `json:"next"`
		Query []map[string]any `json:"query"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("client printed %q: %v", stdout.String(), err)
	}
	var want []map[string]any
	for i := 1; i <= n; i++ {
		want = append(want, map[string]any{"data": map[string]any{"ticks": float64(i)}})
	}
	if !reflect.DeepEqual(got.Next, want) {
		t.Fatalf("subscription results %v, want %v", got.Next, want)
	}
	wantQuery := []map[string]any{{"data": map[string]any{"whoami": "Bearer x"}}}
	if !reflect.DeepEqual(got.Query, wantQuery) {
		t.Fatalf("query results %v, want %v", got.Query, wantQuery)
	}
	if _, ok := seen.Load("Bearer x"); !ok {
		t.Fatal("OnConnect did not see connectionParams")
	}

	// The client's complete (it stopped after n of 1000 events) cancelled
	// the producer, and its closing the socket ended the handler.
	select {
	case name := <-pr.stopped:
		if name != "ticks" {
			t.Fatalf("producer %q stopped", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the ticks producer was not cancelled")
	}
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not return after the client closed")
	}
}
