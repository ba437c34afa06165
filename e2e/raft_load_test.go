package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Shape of the write load on a raft cluster.
const (
	dispatchersPerNode = 2
	bedManagersPerNode = 1
	bedsPerManager     = 6
	// writePace is the pause between one writer's acknowledged write and
	// its next: with nine writers, a load the race-built nodes sustain on
	// two cores while still filling the raft log quickly.
	writePace = 15 * time.Millisecond
	// writeAttemptTimeout bounds one attempt at one node: a client gives up
	// on a frozen node (or a write stuck behind one) and retries the same
	// commandId elsewhere.
	writeAttemptTimeout = 2 * time.Second
	// writeGiveUp bounds how long one write is retried before the load
	// reports it as never acknowledged.
	writeGiveUp = 90 * time.Second
)

// raftLoad is the write load of the raft tests: falls dispatchers reporting
// falls and bed managers closing and reopening their own beds, each writer
// homed on a node, together covering every node. Every write carries a
// commandId unique to it and is retried with that commandId on the next
// node after any error until it is acknowledged, as a client should. The
// load remembers every acknowledged result: the incident each reportFall
// opened and the state each bed was last acknowledged in.
type raftLoad struct {
	c      *raftCluster
	runID  string // prefix of every commandId: unique to the test
	gate   loadGate
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	falls     map[string]ackedFall // by commandId
	incidents map[string]string    // incident id -> commandId
	beds      map[string]*bedLedger
	acks      []writeAck
	failures  map[string]int    // failed attempts by kind
	examples  map[string]string // the first failure of each kind, for the log
	problems  []string          // what a correct cluster never does
}

type ackedFall struct {
	incident string
	attempts int
}

// bedLedger is what its bed manager knows of a bed.
type bedLedger struct {
	status  string // AVAILABLE or CLOSED, as last acknowledged, or bedUnknown
	changes int    // acknowledged closes and reopens
}

// writeAck is one acknowledged write: when its first attempt was sent,
// when it was acknowledged, by which node, after how many attempts.
type writeAck struct {
	first, at time.Time
	node      int
	attempts  int
}

// startRaftLoad starts the writers. beds are the bed IDs the bed managers
// share out (bedsPerManager each).
func startRaftLoad(t *testing.T, c *raftCluster, beds []string) *raftLoad {
	t.Helper()
	l := &raftLoad{c: c, runID: fmt.Sprintf("raft-%d", time.Now().UnixNano()),
		falls: map[string]ackedFall{}, incidents: map[string]string{}, beds: map[string]*bedLedger{},
		failures: map[string]int{}, examples: map[string]string{}}
	l.gate.init()
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	t.Cleanup(l.stop)
	nodes := len(c.nodes)
	managers := bedManagersPerNode * nodes
	if len(beds) < managers*bedsPerManager {
		t.Fatalf("%d beds for %d bed managers of %d beds each", len(beds), managers, bedsPerManager)
	}
	// Tokens and the ledger first: the writers start together.
	dispatchers := make([]string, dispatchersPerNode*nodes)
	for i := range dispatchers {
		dispatchers[i] = c.token(t, "--role", "falls_dispatcher", "--name", fmt.Sprintf("Raft Dispatcher %d", i+1))
	}
	bedManagers := make([]string, managers)
	for i := range bedManagers {
		bedManagers[i] = c.token(t, "--role", "bed_manager", "--name", fmt.Sprintf("Raft Bed Manager %d", i+1))
		for _, b := range beds[i*bedsPerManager : (i+1)*bedsPerManager] {
			l.beds[b] = &bedLedger{status: "AVAILABLE"}
		}
	}
	for i, tok := range dispatchers {
		l.wg.Add(1)
		go l.dispatcher(ctx, i, i%nodes, tok)
	}
	for i, tok := range bedManagers {
		l.wg.Add(1)
		go l.bedManager(ctx, i, i%nodes, tok, beds[i*bedsPerManager:(i+1)*bedsPerManager])
	}
	return l
}

// stop ends the writers (a write in flight is abandoned).
func (l *raftLoad) stop() {
	l.cancel()
	l.gate.unpause()
	l.wg.Wait()
}

// fallLocalities are where the synthetic falls happen.
var fallLocalities = []string{"leek", "tamworth", "biddulph", "cannock", "burslem", "lichfield"}

func (l *raftLoad) dispatcher(ctx context.Context, w, home int, token string) {
	defer l.wg.Done()
	const mutation = `mutation($cmd: String, $in: ReportFallInput!) { reportFall(commandId: $cmd, input: $in) { id status } }`
	for seq := 0; ; seq++ {
		if !l.gate.enter(ctx) {
			return
		}
		cmd := fmt.Sprintf("%s-fall-d%d-%d", l.runID, w, seq)
		vars := map[string]any{"cmd": cmd, "in": map[string]any{
			"source": "TELECARE", "localityId": fallLocalities[(w+seq)%len(fallLocalities)],
			"address": map[string]any{"text": fmt.Sprintf("%d Example Street", seq%200+1), "postcode": "ST13 5AB"},
		}}
		data, attempts, ok := l.write(ctx, home, token, cmd, mutation, vars)
		if ok {
			var out struct{ ReportFall struct{ ID, Status string } }
			err := json.Unmarshal(data, &out)
			l.mu.Lock()
			switch {
			case err != nil || out.ReportFall.ID == "":
				l.problemLocked("reportFall %s acknowledged with data %s", cmd, data)
			case out.ReportFall.Status != "ALERT_RECEIVED":
				l.problemLocked("reportFall %s acknowledged incident %s as %s, want ALERT_RECEIVED", cmd, out.ReportFall.ID, out.ReportFall.Status)
			}
			if other, dup := l.incidents[out.ReportFall.ID]; dup && other != cmd {
				l.problemLocked("reportFall %s and %s acknowledged the same incident %s", other, cmd, out.ReportFall.ID)
			}
			l.falls[cmd] = ackedFall{incident: out.ReportFall.ID, attempts: attempts}
			l.incidents[out.ReportFall.ID] = cmd
			l.mu.Unlock()
		}
		l.gate.leave()
		if ctx.Err() != nil || !pace(ctx) {
			return
		}
	}
}

// bedUnknown is the ledger's state of a bed whose last change was given
// up: it may or may not have happened.
const bedUnknown = "UNKNOWN"

func (l *raftLoad) bedManager(ctx context.Context, w, home int, token string, beds []string) {
	defer l.wg.Done()
	const (
		closeBed  = `mutation($cmd: String, $in: CloseBedInput!) { closeBed(commandId: $cmd, input: $in) { id status } }`
		reopenBed = `mutation($cmd: String, $in: ReopenBedInput!) { reopenBed(commandId: $cmd, input: $in) { id status } }`
	)
	for seq := 0; ; seq++ {
		if !l.gate.enter(ctx) {
			return
		}
		bed := beds[seq%len(beds)]
		l.mu.Lock()
		status := l.beds[bed].status
		l.mu.Unlock()
		if status == bedUnknown {
			l.gate.leave()
			if !pace(ctx) {
				return
			}
			continue
		}
		closing := status == "AVAILABLE"
		cmd := fmt.Sprintf("%s-bed-m%d-%d", l.runID, w, seq)
		mutation, field, want := reopenBed, "reopenBed", "AVAILABLE"
		in := map[string]any{"bedId": bed}
		if closing {
			mutation, field, want = closeBed, "closeBed", "CLOSED"
			in["reason"], in["note"] = "STAFFING", "raft e2e"
		}
		data, _, ok := l.write(ctx, home, token, cmd, mutation, map[string]any{"cmd": cmd, "in": in})
		if ok {
			var out map[string]struct{ ID, Status string }
			_ = json.Unmarshal(data, &out)
			l.mu.Lock()
			if got := out[field]; got.ID != bed || got.Status != want {
				l.problemLocked("%s %s (%s) acknowledged as %+v, want %s", field, bed, cmd, got, want)
			}
			l.beds[bed].status = want
			l.beds[bed].changes++
			l.mu.Unlock()
		} else {
			// Given up (a problem already recorded) or stopped: whether
			// the change happened is unknown.
			l.mu.Lock()
			l.beds[bed].status = bedUnknown
			l.mu.Unlock()
		}
		l.gate.leave()
		if ctx.Err() != nil || !pace(ctx) {
			return
		}
	}
}

func pace(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(writePace):
		return true
	}
}

// write sends one mutation until a node acknowledges it: first to the
// writer's home node, after an error to the next node, always with the same
// commandId. A refusal no correct cluster gives here (the load's commands
// are all valid) is recorded as a problem and retried elsewhere too, a few
// times, so that one run shows everything that went wrong and the ledger
// stays true. It reports false when the load stops first or the write is
// given up.
func (l *raftLoad) write(ctx context.Context, home int, token, cmd, mutation string, vars map[string]any) (json.RawMessage, int, bool) {
	const maxRefusals = 5
	node := home
	first := time.Now()
	giveUp := first.Add(writeGiveUp)
	refusals := 0
	var last string
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return nil, attempt, false
		}
		if time.Now().After(giveUp) {
			l.problem("%s not acknowledged within %s (%d attempts, last: %s)", cmd, writeGiveUp, attempt-1, last)
			return nil, attempt, false
		}
		base := l.c.endpoints()[node]
		if base == "" { // the node is down: its clients go elsewhere
			node = (node + 1) % len(l.c.nodes)
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		actx, cancel := context.WithTimeout(ctx, writeAttemptTimeout)
		res, err := postGraphQL(actx, writeClient, base, token, mutation, vars)
		cancel()
		kind, retry := classifyWrite(res, err)
		if kind == "" {
			l.mu.Lock()
			l.acks = append(l.acks, writeAck{first: first, at: time.Now(), node: node, attempts: attempt})
			l.mu.Unlock()
			return res.Data, attempt, true
		}
		if ctx.Err() != nil {
			return nil, attempt, false
		}
		last = fmt.Sprintf("%s at %s: %s", kind, l.c.nodes[node].id, describeErrors(res))
		if err != nil {
			last = fmt.Sprintf("%s at %s: %v", kind, l.c.nodes[node].id, err)
		}
		l.mu.Lock()
		l.failures[kind]++
		if _, ok := l.examples[kind]; !ok {
			l.examples[kind] = last
		}
		l.mu.Unlock()
		if !retry {
			refusals++
			l.problem("%s attempt %d refused: %s", cmd, attempt, last)
			if refusals == maxRefusals {
				return nil, attempt, false
			}
		}
		wait := time.Duration(min(attempt, 10)) * 50 * time.Millisecond
		if kind == "RATE_LIMITED" {
			wait = time.Second // the same node, once the bucket refills
		} else {
			node = (node + 1) % len(l.c.nodes)
		}
		select {
		case <-ctx.Done():
			return nil, attempt, false
		case <-time.After(wait):
		}
	}
}

// classifyWrite names what went wrong with an attempt ("" for an
// acknowledgement) and says whether a retry may mend it. Transport errors,
// 5xx and INTERNAL are what a node going away looks like; CONFLICT is a
// concurrent change (here only a retry racing its own first attempt);
// the others are answers a retry would only repeat.
func classifyWrite(res gqlResponse, err error) (kind string, retry bool) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout", true
	case err != nil:
		return "transport", true
	case len(res.Errors) > 0:
		code, _ := res.Errors[0].Extensions["code"].(string)
		switch code {
		case "BAD_USER_INPUT", "FORBIDDEN", "NOT_FOUND", "UNAUTHENTICATED":
			return code, false
		case "":
			return fmt.Sprintf("HTTP %d", res.Status), true
		}
		return code, true
	case res.Status != http.StatusOK:
		return fmt.Sprintf("HTTP %d", res.Status), true
	case len(res.Data) == 0 || string(res.Data) == "null":
		return "no data", true
	}
	return "", false
}

func describeErrors(res gqlResponse) string {
	if len(res.Errors) == 0 {
		return ""
	}
	var parts []string
	for _, e := range res.Errors {
		parts = append(parts, fmt.Sprintf("%v: %s", e.Extensions["code"], e.Message))
	}
	return strings.Join(parts, "; ")
}

func (l *raftLoad) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problemLocked(format, args...)
}

func (l *raftLoad) problemLocked(format string, args ...any) {
	l.problems = append(l.problems, time.Now().UTC().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
}

// pause stops the writers between writes and waits until none is in
// flight: every write issued so far is then acknowledged (or reported).
func (l *raftLoad) pause(t *testing.T) {
	t.Helper()
	l.gate.pause()
	pollUntil(t, writeGiveUp+10*time.Second, 10*time.Millisecond, "the writers to finish their writes in flight", func() (bool, string) {
		n := l.gate.inFlight()
		return n == 0, fmt.Sprintf("%d writes in flight", n)
	})
}

func (l *raftLoad) resume() { l.gate.unpause() }

// ackCount is how many writes have been acknowledged so far.
func (l *raftLoad) ackCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acks)
}

// firstNewAck is the first acknowledgement of a write first sent at or
// after t0: the first new write the cluster took in after an event. (A
// retry of an earlier write may be acknowledged without a leader, by a node
// that already holds it: that is no sign that writes resumed.)
func (l *raftLoad) firstNewAck(t0 time.Time) (writeAck, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var first writeAck
	found := false
	for _, a := range l.acks {
		if !a.first.Before(t0) && (!found || a.at.Before(first.at)) {
			first, found = a, true
		}
	}
	return first, found
}

// ackRate is acknowledgements per second from t0 to t1, one figure per
// second, e.g. "41 38 0 0 12 40".
func (l *raftLoad) ackRate(t0, t1 time.Time) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := int(t1.Sub(t0)/time.Second) + 1
	if n <= 0 || n > 600 {
		return "?"
	}
	per := make([]int, n)
	for _, a := range l.acks {
		if !a.at.Before(t0) && a.at.Before(t1) {
			per[int(a.at.Sub(t0)/time.Second)]++
		}
	}
	s := make([]string, n)
	for i, v := range per {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, " ")
}

// failureSummary lists the failed attempts by kind since the last call
// with reset, each with the first of its kind, e.g. "timeout 3 (first:
// timeout at n2: context deadline exceeded)".
func (l *raftLoad) failureSummary(reset bool) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var kinds []string
	for k, n := range l.failures {
		kinds = append(kinds, fmt.Sprintf("%s %d (first: %s)", k, n, truncate(l.examples[k], 160)))
	}
	sort.Strings(kinds)
	if reset {
		l.failures, l.examples = map[string]int{}, map[string]string{}
	}
	if len(kinds) == 0 {
		return "none"
	}
	return strings.Join(kinds, ", ")
}

// loadGate lets the test stop the writers between writes.
type loadGate struct {
	mu      sync.Mutex
	paused  bool
	busy    int
	resumed chan struct{} // closed when the gate opens again
}

func (g *loadGate) init() { g.resumed = make(chan struct{}) }

// enter waits while the gate is paused and counts the caller in flight; it
// reports false when ctx ends first.
func (g *loadGate) enter(ctx context.Context) bool {
	for {
		g.mu.Lock()
		if !g.paused {
			if ctx.Err() != nil {
				g.mu.Unlock()
				return false
			}
			g.busy++
			g.mu.Unlock()
			return true
		}
		ch := g.resumed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

func (g *loadGate) leave() {
	g.mu.Lock()
	g.busy--
	g.mu.Unlock()
}

func (g *loadGate) pause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.paused {
		g.paused = true
		g.resumed = make(chan struct{})
	}
}

func (g *loadGate) unpause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused {
		g.paused = false
		close(g.resumed)
	}
}

func (g *loadGate) inFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.busy
}

// writeClient is the writers' HTTP client: each attempt's context bounds
// it.
var writeClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second}}

// postGraphQL POSTs a GraphQL request with a bearer token, returning any
// failure instead of failing a test, for the load's goroutines.
func postGraphQL(ctx context.Context, hc *http.Client, base, token, query string, vars map[string]any) (gqlResponse, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return gqlResponse{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return gqlResponse{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := hc.Do(req)
	if err != nil {
		return gqlResponse{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return gqlResponse{}, err
	}
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return gqlResponse{Status: res.StatusCode}, fmt.Errorf("HTTP %d, not JSON: %.200s", res.StatusCode, raw)
	}
	out.Status, out.ContentType, out.Header = res.StatusCode, res.Header.Get("Content-Type"), res.Header
	return out, nil
}
