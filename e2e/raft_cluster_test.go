package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Raft settings every node of a test cluster starts with: small, so that a
// node down for a few seconds of load falls behind the leader's trailing
// logs and must catch up from a snapshot.
const (
	raftTrailingLogs      = 200
	raftSnapshotThreshold = 200
	raftSnapshotInterval  = "1s"
)

// raftCluster is three `carecoord serve --raft` processes on loopback, each
// with its own data directory, sharing one signing key so that a token
// works on every node. Its methods take the (sub)test they run for; the
// load's goroutines only read endpoints.
type raftCluster struct {
	signingKey string
	logDir     string // the nodes' logs, one file per start; kept when the test fails
	admin      string // an admin's token
	nodes      []*raftNode
}

// raftNode is one member. Its process changes on every restart; its node
// ID, raft address and data directory do not.
type raftNode struct {
	id       string
	raftAddr string
	dataDir  string

	mu     sync.Mutex
	proc   *proc
	base   string // HTTP base URL of the current process ("" while down)
	starts int
	paused bool
}

// newRaftCluster starts three nodes: n1 bootstraps, n2 and n3 join it.
func newRaftCluster(t *testing.T) *raftCluster {
	t.Helper()
	c := raftClusterOf(t, 3)
	c.startNode(t, c.nodes[0], "--bootstrap")
	c.waitLeader(t, 30*time.Second, nil)
	for _, n := range c.nodes[1:] {
		c.startNode(t, n, "--join", c.nodes[0].raftAddr)
	}
	for _, n := range c.nodes {
		waitReady(t, n.url(), 30*time.Second)
	}
	c.waitVoters(t, 30*time.Second)
	return c
}

// raftClusterOf prepares n nodes (n1, n2...) with their raft addresses and
// data directories, a shared signing key and an admin's token; it starts
// none of them.
func raftClusterOf(t *testing.T, n int) *raftCluster {
	t.Helper()
	dir := t.TempDir()
	logDir, err := os.MkdirTemp("", "carecoord-raft-logs-")
	if err != nil {
		t.Fatal(err)
	}
	c := &raftCluster{signingKey: filepath.Join(dir, "signing-key"), logDir: logDir}
	t.Cleanup(func() { c.cleanup(t) })
	c.admin = c.token(t, "--role", "admin", "--name", "Raft Admin")
	for i, addr := range freeLoopbackAddrs(t, n) {
		c.nodes = append(c.nodes, &raftNode{
			id: fmt.Sprintf("n%d", i+1), raftAddr: addr, dataDir: filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
		})
	}
	return c
}

// freeLoopbackAddrs picks n free loopback TCP addresses up front: listen on
// port 0, note the port, close.
func freeLoopbackAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

// token issues a development token signed with the cluster's key.
func (c *raftCluster) token(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, nil, append([]string{"token", "--signing-key", c.signingKey}, args...)...)
	if code != 0 {
		t.Fatalf("carecoord token %v: exit %d: %s", args, code, errOut)
	}
	return strings.TrimSpace(out)
}

// startNode starts (or, with no extra args, restarts) a node's process and
// waits for its HTTP address. The log goes to a file as well as to memory,
// so that a failing run leaves every node's whole history behind. The
// process is killed by cleanup, not by the (sub)test that started it.
func (c *raftCluster) startNode(t *testing.T, n *raftNode, extra ...string) {
	t.Helper()
	args := []string{"serve", "--data-dir", n.dataDir, "--listen", "127.0.0.1:0",
		"--raft", "--node-id", n.id, "--raft-addr", n.raftAddr, "--signing-key", c.signingKey,
		"--raft-trailing-logs", strconv.Itoa(raftTrailingLogs),
		"--raft-snapshot-threshold", strconv.Itoa(raftSnapshotThreshold),
		"--raft-snapshot-interval", raftSnapshotInterval}
	args = append(args, extra...)
	n.mu.Lock()
	n.starts++
	logPath := filepath.Join(c.logDir, fmt.Sprintf("%s-start%d.log", n.id, n.starts))
	n.mu.Unlock()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = cleanEnv()
	p := &proc{t: t, cmd: cmd, stdout: newLines(), stderr: newLines(), exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, io.MultiWriter(p.stderr, logFile)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s: %v", n.id, err)
	}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	n.mu.Lock()
	n.proc, n.base, n.paused = p, "", false
	n.mu.Unlock()
	line := p.waitStdout(60*time.Second, func(string) bool { return true })
	m := listeningLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("%s: first line of stdout is %q, want %q", n.id, line, "carecoord listening on http://HOST:PORT")
	}
	n.mu.Lock()
	n.base = m[1]
	n.mu.Unlock()
}

// restart starts a stopped node again from its data directory: no
// --bootstrap, no --join.
func (c *raftCluster) restart(t *testing.T, n *raftNode) {
	t.Helper()
	c.startNode(t, n)
	waitReady(t, n.url(), 60*time.Second)
}

// kill sends SIGKILL to the node's process (by its PID) and waits for it to
// be gone. Its clients find its address refusing from then on.
func (c *raftCluster) kill(t *testing.T, n *raftNode) {
	t.Helper()
	n.mu.Lock()
	p := n.proc
	n.base = ""
	n.mu.Unlock()
	n.signal(t, syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not die within 10 s of SIGKILL", n.id)
	}
}

// pause sends SIGSTOP and resume SIGCONT. A paused node keeps its address:
// its clients do not know it is frozen, they just wait.
func (c *raftCluster) pause(t *testing.T, n *raftNode) {
	t.Helper()
	n.mu.Lock()
	n.paused = true
	n.mu.Unlock()
	n.signal(t, syscall.SIGSTOP)
}

func (c *raftCluster) resume(t *testing.T, n *raftNode) {
	t.Helper()
	n.signal(t, syscall.SIGCONT)
	n.mu.Lock()
	n.paused = false
	n.mu.Unlock()
}

func (n *raftNode) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	n.mu.Lock()
	p := n.proc
	n.mu.Unlock()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("%s: signal %v: %v", n.id, sig, err)
	}
}

// url is the node's HTTP base URL, "" while it is down.
func (n *raftNode) url() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.base
}

// up reports whether the node has a running, unpaused process.
func (n *raftNode) up() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.base != "" && !n.paused
}

// logLines returns the log entries of the node's current process whose
// message is msg.
func (n *raftNode) logLines(msg string) []logEntry {
	n.mu.Lock()
	p := n.proc
	n.mu.Unlock()
	var out []logEntry
	for _, e := range p.logEntries() {
		if e.msg() == msg {
			out = append(out, e)
		}
	}
	return out
}

// endpoints lists the HTTP base URLs the clients know, by node: a killed
// node's is empty until it restarts.
func (c *raftCluster) endpoints() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.url()
	}
	return out
}

// cleanup kills every process still running (by its PID; SIGKILL ends a
// stopped process too) and, when the test failed, keeps the nodes' logs and
// says where they are, with the last lines of each that are not request or
// handler logs.
func (c *raftCluster) cleanup(t *testing.T) {
	for _, n := range c.nodes {
		n.mu.Lock()
		p := n.proc
		n.mu.Unlock()
		if p == nil {
			continue
		}
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	if !t.Failed() {
		os.RemoveAll(c.logDir)
		return
	}
	t.Logf("the nodes' logs are kept in %s", c.logDir)
	for _, n := range c.nodes {
		if n.proc == nil {
			continue
		}
		all, _ := n.proc.stderr.since(0)
		var tail []string
		for i := len(all) - 1; i >= 0 && len(tail) < 15; i-- {
			if !strings.Contains(all[i], `"http request"`) && !strings.Contains(all[i], `"event handled"`) {
				tail = append([]string{truncate(all[i], 400)}, tail...)
			}
		}
		t.Logf("%s (start %d), last log lines:\n%s", n.id, n.starts, strings.Join(tail, "\n"))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// raftStatus is `carecoord cluster status --json`.
type raftStatus struct {
	NodeID, Address, State, LeaderID, LeaderAddress string
	Term, LastIndex, CommitIndex, AppliedIndex      uint64
	Servers                                         []struct{ ID, Address, Suffrage string }
}

// status asks a node for its view through `carecoord cluster status`.
func (c *raftCluster) status(n *raftNode) (raftStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "cluster", "status", "--addr", n.raftAddr, "--json", "--timeout", "3s")
	cmd.Env = cleanEnv()
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return raftStatus{}, fmt.Errorf("cluster status %s: %v: %s", n.id, err, strings.TrimSpace(string(ee.Stderr)))
		}
		return raftStatus{}, fmt.Errorf("cluster status %s: %v", n.id, err)
	}
	var st raftStatus
	if err := json.Unmarshal(out, &st); err != nil {
		return raftStatus{}, fmt.Errorf("cluster status %s: %v: %s", n.id, err, out)
	}
	return st, nil
}

// waitLeader waits until every running node other than exclude reports
// (in serverInfo) the same leader, itself running and not excluded, and
// returns it with its `cluster status`.
func (c *raftCluster) waitLeader(t *testing.T, timeout time.Duration, exclude *raftNode) (*raftNode, raftStatus) {
	t.Helper()
	var leader *raftNode
	pollUntil(t, timeout, 20*time.Millisecond, "a leader all running nodes agree on", func() (bool, string) {
		leader = nil
		var views []string
		agreed := ""
		for _, n := range c.nodes {
			if n == exclude || !n.up() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			info, err := c.serverInfo(ctx, n.url())
			cancel()
			if err != nil {
				return false, fmt.Sprintf("%s: %v", n.id, err)
			}
			views = append(views, fmt.Sprintf("%s: %s, leader %q", n.id, info.State, info.LeaderID))
			if info.LeaderID == "" || (agreed != "" && info.LeaderID != agreed) {
				return false, strings.Join(views, "; ")
			}
			agreed = info.LeaderID
			if info.State == "Leader" {
				leader = n
			}
		}
		if leader == nil || leader.id != agreed {
			leader = nil
			return false, strings.Join(views, "; ")
		}
		return true, ""
	})
	st, err := c.status(leader)
	if err != nil {
		t.Fatal(err)
	}
	return leader, st
}

// waitVoters waits until the leader lists all the nodes as voters.
func (c *raftCluster) waitVoters(t *testing.T, timeout time.Duration) {
	t.Helper()
	leader, _ := c.waitLeader(t, timeout, nil)
	pollUntil(t, timeout, 200*time.Millisecond, "every node a voter", func() (bool, string) {
		st, err := c.status(leader)
		if err != nil {
			return false, err.Error()
		}
		voters := 0
		for _, s := range st.Servers {
			if s.Suffrage == "voter" {
				voters++
			}
		}
		return voters == len(c.nodes), fmt.Sprintf("%s lists %+v", leader.id, st.Servers)
	})
}

// nodeInfo is serverInfo as an admin sees it.
type nodeInfo struct {
	LogPosition uint64
	State       string
	LeaderID    string
	Applied     uint64
}

// serverInfo asks a node's /graphql for its log position and raft state.
func (c *raftCluster) serverInfo(ctx context.Context, base string) (nodeInfo, error) {
	var out struct {
		ServerInfo struct {
			StoreBackend, LogPosition string
			Node                      *struct{ ID, State, LeaderID, AppliedIndex string }
		}
	}
	if err := c.query(ctx, base, `{ serverInfo { storeBackend logPosition node { id state leaderId appliedIndex } } }`, nil, &out); err != nil {
		return nodeInfo{}, err
	}
	si := out.ServerInfo
	if si.StoreBackend != "raft" || si.Node == nil {
		return nodeInfo{}, fmt.Errorf("serverInfo %+v: not a raft node", si)
	}
	pos, err := strconv.ParseUint(si.LogPosition, 10, 64)
	if err != nil {
		return nodeInfo{}, fmt.Errorf("logPosition %q: %v", si.LogPosition, err)
	}
	applied, _ := strconv.ParseUint(si.Node.AppliedIndex, 10, 64)
	return nodeInfo{LogPosition: pos, State: si.Node.State, LeaderID: si.Node.LeaderID, Applied: applied}, nil
}

// query runs an admin query on a node and decodes its data; any error
// (transport, HTTP, GraphQL) is returned.
func (c *raftCluster) query(ctx context.Context, base, q string, vars map[string]any, out any) error {
	if base == "" {
		return fmt.Errorf("the node is down")
	}
	res, err := postGraphQL(ctx, readClient, base, c.admin, q, vars)
	for tries := 0; err == nil && res.Status == http.StatusTooManyRequests && tries < 5; tries++ {
		// The checks poll fast: wait for the admin's rate bucket to refill.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		res, err = postGraphQL(ctx, readClient, base, c.admin, q, vars)
	}
	if err != nil {
		return err
	}
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		return fmt.Errorf("HTTP %d, errors %+v", res.Status, res.Errors)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res.Data, out); err != nil {
		return fmt.Errorf("decoding %.200s: %v", res.Data, err)
	}
	return nil
}

// readClient is for the checks' queries, whose answers (the whole falls
// queue) may take a while under the race detector.
var readClient = &http.Client{Timeout: 30 * time.Second}

// pollUntil calls cond every interval until it reports true, failing the
// test after timeout with what and cond's last explanation.
func pollUntil(t testing.TB, timeout, interval time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %s", what, timeout, why)
		}
		time.Sleep(interval)
	}
}
