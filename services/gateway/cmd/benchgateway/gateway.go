package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"carecoord/pkg/benchkit"
)

// localityViewQuery is a locality's joined-up view: all four services.
const localityViewQuery = `query LocalityView($id: ID!) { locality(id: $id) { name summary { referralsReceived ucrSeenWithin2hPercent caseloadSize caseloadVisitsOverdue bedsOccupied openFalls } referrals { id status priority receivedAt } keyworkerCaseload { keyworker { id name } episodes visitsDueToday visitsOverdue reviewsOverdue } patientsInBeds { id hospitalId bedId } openFalls { id status timeOnFloorMinutes } } }`

// result is the two loads.
type result struct {
	gateway, plain *loadResult
}

func (r *result) line(clients int) string {
	lat := r.gateway.ok
	ratio := 0.0
	if p := r.plain.rps(); p > 0 {
		ratio = r.gateway.rps() / p
	}
	return fmt.Sprintf("bench-gateway query=locality_view clients=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f plain_json_rps=%.0f ratio=%.3f",
		clients, r.gateway.rps(), benchkit.Millis(benchkit.Percentile(lat, 50)), benchkit.Millis(benchkit.Percentile(lat, 99)), r.plain.rps(), ratio)
}

// runBench builds and seeds, loads the in-process baseline on a copy of
// the seeded data, then the real carecoord process on the original.
func runBench(ctx context.Context, cfg config, dir string, stderr io.Writer) (*result, error) {
	bin := filepath.Join(dir, "carecoord")
	data := filepath.Join(dir, "data")
	step := func(what string, args ...string) error {
		start := time.Now()
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", what, err, tail(out))
		}
		fmt.Fprintf(stderr, "benchgateway: %s in %v\n", what, time.Since(start).Round(time.Millisecond))
		return nil
	}
	if err := step("built carecoord", "go", "build", "-o", bin, "./services/gateway/cmd/carecoord"); err != nil {
		return nil, err
	}
	if err := step("seeded", bin, "seed", "--data-dir", data); err != nil {
		return nil, err
	}
	tokens := make([]string, cfg.clients)
	for i := range tokens {
		out, err := exec.CommandContext(ctx, bin, "token", "--data-dir", data, "--role", "ict_clinician", "--locality", localityID,
			"--name", fmt.Sprintf("Bench %d", i+1), "--subject", fmt.Sprintf("bench-%d@benchgateway", i+1)).Output()
		if err != nil {
			return nil, fmt.Errorf("token %d: %w", i+1, err)
		}
		tokens[i] = strings.TrimSpace(string(out))
	}
	fmt.Fprintf(stderr, "benchgateway: issued %d ICT clinician tokens for %s, one subject each\n", len(tokens), localityID)

	// The baseline runs on a copy: one process owns a store.
	copyDir := filepath.Join(dir, "baseline-data")
	if err := copyTree(data, copyDir); err != nil {
		return nil, fmt.Errorf("copy the seeded data: %w", err)
	}
	plain, err := runBaseline(ctx, cfg, copyDir, tokens, stderr)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	if err := os.RemoveAll(copyDir); err != nil {
		return nil, err
	}
	gw, err := runGateway(ctx, cfg, bin, data, dir, tokens, stderr)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	res := &result{gateway: gw, plain: plain}
	fmt.Fprintf(stderr, "benchgateway: ratio gateway/plain = %.3f\n", gw.rps()/max(plain.rps(), 1e-9))
	return res, nil
}

func runBaseline(ctx context.Context, cfg config, data string, tokens []string, stderr io.Writer) (*loadResult, error) {
	zcfg := zap.NewProductionConfig()
	zcfg.Level = zap.NewAtomicLevelAt(zap.WarnLevel)
	zcfg.OutputPaths, zcfg.ErrorOutputPaths = []string{"stderr"}, []string{"stderr"}
	logger, err := zcfg.Build()
	if err != nil {
		return nil, err
	}
	defer func() { _ = logger.Sync() }()
	start := time.Now()
	b, err := startBaseline(ctx, data, logger)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "benchgateway: plain JSON baseline up (read models caught up) in %v at %s\n", time.Since(start).Round(time.Millisecond), b.url)
	t := target{name: "plain_json", url: b.url, body: []byte("{}"), check: plainCheck}
	if err := probe(ctx, t, tokens[0], stderr); err != nil {
		return nil, errors.Join(err, b.close())
	}
	res := load(ctx, t, tokens, cfg.duration)
	res.report(stderr)
	if err := b.close(); err != nil {
		return nil, err
	}
	if len(res.ok) == 0 {
		return nil, errors.New("no good answer")
	}
	return res, ctx.Err()
}

func runGateway(ctx context.Context, cfg config, bin, data, dir string, tokens []string, stderr io.Writer) (res *loadResult, err error) {
	logPath := filepath.Join(dir, "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "serve", "--data-dir", data, "--listen", "127.0.0.1:0")
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "carecoord listening on "); ok {
				urls <- strings.TrimSpace(u)
			}
		}
		exited <- cmd.Wait()
	}()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case werr := <-exited:
			if werr != nil && err == nil {
				err = fmt.Errorf("carecoord serve exited: %w", werr)
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			if err == nil {
				err = errors.New("carecoord serve did not stop within 15s of SIGTERM; killed")
			}
		}
	}()
	var base string
	select {
	case base = <-urls:
	case werr := <-exited:
		exited <- werr
		return nil, fmt.Errorf("carecoord serve exited before listening: %v (log %s)", werr, logPath)
	case <-time.After(60 * time.Second):
		return nil, errors.New("carecoord serve did not listen within 60s")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	fmt.Fprintf(stderr, "benchgateway: carecoord serve (pid %d) listening on %s after %v\n", cmd.Process.Pid, base, time.Since(start).Round(time.Millisecond))
	body, err := json.Marshal(map[string]any{"query": localityViewQuery, "operationName": "LocalityView", "variables": map[string]any{"id": localityID}})
	if err != nil {
		return nil, err
	}
	t := target{name: "gateway", url: strings.TrimSuffix(base, "/") + "/graphql", body: body, check: graphQLCheck}
	if err := probe(ctx, t, tokens[0], stderr); err != nil {
		return nil, err
	}
	res = load(ctx, t, tokens, cfg.duration)
	res.report(stderr)
	if res.failures["RATE_LIMITED"] > 0 || res.failures["HTTP 429 RATE_LIMITED"] > 0 {
		fmt.Fprintln(stderr, "benchgateway: WARNING: the per-viewer rate limit interfered; rps is capped by it")
	}
	if len(res.ok) == 0 {
		return nil, errors.New("no good answer")
	}
	return res, ctx.Err()
}

// probe retries one request until it gets a good answer (the gateway warms
// up after listening), for up to 60s, and logs its size.
func probe(ctx context.Context, t target, token string, stderr io.Writer) error {
	hc := newHTTPClient(1)
	defer hc.CloseIdleConnections()
	by := time.Now().Add(60 * time.Second)
	for {
		status, body, took, err := do(ctx, hc, t, token)
		reason := ""
		switch {
		case err != nil:
			reason = err.Error()
		case status != 200:
			reason = fmt.Sprintf("HTTP %d: %s", status, tail(body))
		default:
			reason = t.check(body)
		}
		if reason == "" {
			fmt.Fprintf(stderr, "benchgateway: %s: first answer %d bytes in %.2fms: %s\n", t.name, len(body), benchkit.Millis(took), tail(body))
			return nil
		}
		if time.Now().After(by) || ctx.Err() != nil {
			return fmt.Errorf("%s: no good answer within 60s: %s", t.name, reason)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// copyTree copies the regular files under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		info, err := in.Stat()
		if err != nil {
			return err
		}
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			_ = out.Close()
			return err
		}
		return out.Close()
	})
}
