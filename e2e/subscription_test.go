package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A falls dispatcher subscribed to fallsQueueChanged over WebSocket (the
// reference graphql-ws client, e2e/ws/subscribe.mjs) sees a fall reported
// over HTTP; an ICT clinician's subscription is refused (FORBIDDEN).
func TestSubscriptions_dispatcher_sees_the_falls_queue_change(t *testing.T) {
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		t.Skip("node and npm are needed to run the graphql-ws client")
	}
	wsDir, err := filepath.Abs("ws")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(wsDir, "node_modules", "graphql-ws")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = wsDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", wsDir, err, out)
		}
	}

	dataDir := t.TempDir()
	if code, out, errOut := run(t, nil, "seed", "--data-dir", dataDir, "--log-level", "warn"); code != 0 {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out, errOut)
	}
	_, base := serve(t, dataDir, nil)
	waitReady(t, base, 30*time.Second)
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/graphql"
	dispatcher := issueToken(t, dataDir, "--role", "falls_dispatcher", "--name", "Dee Spatcher")
	ict := issueToken(t, dataDir, "--role", "ict_clinician", "--locality", "leek", "--name", "Ida Clinician")

	subscribe := func(token string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer, context.CancelFunc) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, node, "subscribe.mjs", wsURL, `subscription { fallsQueueChanged { id status } }`, "1")
		cmd.Dir = wsDir
		cmd.Env = append(os.Environ(), "WS_AUTHORIZATION=Bearer "+token)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		return cmd, &stdout, &stderr, cancel
	}

	// The ICT clinician may not watch the falls queue.
	cmd, stdout, stderr, cancel := subscribe(ict)
	err = cmd.Wait()
	cancel()
	if err == nil || !strings.Contains(stderr.String(), "FORBIDDEN") {
		t.Fatalf("ICT clinician's subscription: err %v, want FORBIDDEN\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}

	// The dispatcher's subscription starts at the log's end: report falls
	// (one a second, since the client cannot tell when the server has
	// subscribed) until the client has its event.
	cmd, stdout, stderr, cancel = subscribe(dispatcher)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	reported := map[string]string{} // incident id -> status
	var waitErr error
	for i := 0; ; i++ {
		if i > 20 {
			t.Fatalf("no event after %d falls\nstdout: %s\nstderr: %s", i, stdout, stderr)
		}
		res := graphqlAsVars(t, base, dispatcher, `mutation($cmd: String, $in: ReportFallInput!) { reportFall(commandId: $cmd, input: $in) { id status } }`,
			map[string]any{"cmd": fmt.Sprintf("e2e-subscription-fall-%d", i), "in": map[string]any{
				"source": "TELECARE", "localityId": "leek",
				"address": map[string]any{"text": "1 Example Street, Leek", "postcode": "ST13 5AB"},
			}})
		if len(res.Errors) > 0 {
			t.Fatalf("reportFall: %+v", res.Errors)
		}
		var got struct{ ReportFall struct{ ID, Status string } }
		if err := json.Unmarshal(res.Data, &got); err != nil || got.ReportFall.ID == "" {
			t.Fatalf("reportFall data %s: %v", res.Data, err)
		}
		reported[got.ReportFall.ID] = got.ReportFall.Status
		select {
		case waitErr = <-done:
		case <-time.After(time.Second):
			continue
		}
		break
	}
	if waitErr != nil {
		t.Fatalf("graphql-ws client: %v\nstdout: %s\nstderr: %s", waitErr, stdout, stderr)
	}
	var out struct {
		Next []struct {
			Data struct {
				FallsQueueChanged struct{ ID, Status string }
			}
			Errors []any
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || len(out.Next) != 1 {
		t.Fatalf("client printed %q: %v", stdout, err)
	}
	ev := out.Next[0]
	if len(ev.Errors) > 0 {
		t.Fatalf("event with errors: %+v", ev)
	}
	got := ev.Data.FallsQueueChanged
	if _, ok := reported[got.ID]; !ok || got.Status == "" {
		t.Fatalf("event %+v, want one of the reported incidents %v with its status", got, reported)
	}
}
