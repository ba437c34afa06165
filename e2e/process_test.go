package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a carecoord process under test. Its output is captured line by
// line; when the test fails, its stderr (the log) is shown.
type proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdout *lines
	stderr *lines
	exited chan struct{}
	err    error // from Wait; read only after exited is closed
}

// start runs the binary with args. env entries ("KEY=value") are added to an
// environment without any CARECOORD_ variables, so that the developer's
// settings do not leak into tests. The process is killed at the end of the
// test if it is still running.
func start(t testing.TB, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cleanEnv(), env...)
	p := &proc{t: t, cmd: cmd, stdout: newLines(), stderr: newLines(), exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start carecoord %v: %v", args, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("carecoord %v stderr:\n%s", args, p.stderr.String())
		}
	})
	return p
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CARECOORD_") {
			env = append(env, kv)
		}
	}
	return env
}

// run runs the binary to completion and returns its exit code and output.
func run(t testing.TB, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := start(t, env, args...)
	code = p.wait(30 * time.Second)
	return code, p.stdout.String(), p.stderr.String()
}

var listeningLine = regexp.MustCompile(`^carecoord listening on (http://[^\s]+)$`)

// serve starts `carecoord serve` on a free loopback port with dataDir and
// returns the process and its base URL, read from its first line of output.
func serve(t testing.TB, dataDir string, env []string, args ...string) (*proc, string) {
	t.Helper()
	args = append([]string{"serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0"}, args...)
	p := start(t, env, args...)
	line := p.waitStdout(30*time.Second, func(string) bool { return true })
	m := listeningLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line of stdout is %q, want %q", line, "carecoord listening on http://HOST:PORT")
	}
	return p, m[1]
}

// waitStdout returns the first line of stdout that match accepts, failing the
// test if none appears within timeout or the process exits first.
func (p *proc) waitStdout(timeout time.Duration, match func(string) bool) string {
	p.t.Helper()
	return p.waitLine(p.stdout, "stdout", timeout, match)
}

// waitLog returns the first log entry (a JSON line on stderr) that match
// accepts, with the same rules as waitStdout.
func (p *proc) waitLog(timeout time.Duration, match func(logEntry) bool) logEntry {
	p.t.Helper()
	line := p.waitLine(p.stderr, "log", timeout, func(l string) bool {
		e, ok := parseLogEntry(l)
		return ok && match(e)
	})
	e, _ := parseLogEntry(line)
	return e
}

func (p *proc) waitLine(l *lines, what string, timeout time.Duration, match func(string) bool) string {
	p.t.Helper()
	deadline := time.After(timeout)
	from := 0
	for {
		got, changed := l.since(from)
		for _, line := range got {
			if match(line) {
				return line
			}
		}
		from += len(got)
		select {
		case <-changed:
		case <-p.exited:
			// Wait has returned, so all output has been captured: look once
			// more before giving up.
			if got, _ := l.since(from); len(got) > 0 {
				continue
			}
			p.t.Fatalf("carecoord exited (%v) before the expected %s line", p.err, what)
		case <-deadline:
			p.t.Fatalf("no expected %s line within %s", what, timeout)
		}
	}
}

// signal sends sig to the process.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to exit and returns its exit code, failing the
// test if that takes longer than timeout.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.t.Fatalf("carecoord did not exit within %s", timeout)
	}
	var exit *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &exit):
		return exit.ExitCode() // -1 when killed by a signal
	default:
		p.t.Fatalf("wait: %v", p.err)
		return -1
	}
}

// stop sends SIGTERM and waits for the process to exit, returning its code.
func (p *proc) stop(timeout time.Duration) int {
	p.t.Helper()
	p.signal(syscall.SIGTERM)
	return p.wait(timeout)
}

// logEntry is one JSON log line.
type logEntry map[string]any

func (e logEntry) msg() string { s, _ := e["msg"].(string); return s }

func (e logEntry) str(key string) string { s, _ := e[key].(string); return s }

func parseLogEntry(line string) (logEntry, bool) {
	if !strings.HasPrefix(line, "{") {
		return nil, false
	}
	var e logEntry
	return e, json.Unmarshal([]byte(line), &e) == nil
}

// logEntries returns every JSON log line written so far.
func (p *proc) logEntries() []logEntry {
	var out []logEntry
	all, _ := p.stderr.since(0)
	for _, l := range all {
		if e, ok := parseLogEntry(l); ok {
			out = append(out, e)
		}
	}
	return out
}

// lines collects a stream's output as lines and signals each new one.
type lines struct {
	mu      sync.Mutex
	partial []byte
	all     []string
	raw     bytes.Buffer
	changed chan struct{}
}

func newLines() *lines { return &lines{changed: make(chan struct{})} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.raw.Write(p)
	l.partial = append(l.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.all = append(l.all, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
		added = true
	}
	if added {
		close(l.changed)
		l.changed = make(chan struct{})
	}
	return len(p), nil
}

// since returns the complete lines from index from on, and a channel that is
// closed when more arrive.
func (l *lines) since(from int) ([]string, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.all[min(from, len(l.all)):]...), l.changed
}

// String is everything written, partial last line included.
func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.raw.String()
}
