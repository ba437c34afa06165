package embedded_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
)

// The crash test: a child process appends as fast as it can and reports every
// acknowledged append on standard output; the parent SIGKILLs it at a random
// moment, reopens the store and checks that every acknowledged event is there,
// intact and in order, and that no batch was half-written. It repeats on the
// same directory. CARECOORD_CRASH_CYCLES raises the number of cycles
// (`make crash-test`).

const crashChildEnv = "CARECOORD_CRASH_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashPayload is deterministic from (stream, revision, batch), so the parent
// can check any event's bytes, acknowledged or not.
type crashPayload struct {
	Stream string `json:"stream"`
	Rev    uint64 `json:"rev"`
	Batch  string `json:"batch"`
	Index  int    `json:"index"`
	Size   int    `json:"size"`
	Pad    string `json:"pad"`
}

func crashData(stream string, rev uint64, batch string, index, size int) []byte {
	b, _ := json.Marshal(crashPayload{Stream: stream, Rev: rev, Batch: batch, Index: index, Size: size, Pad: strings.Repeat("x", int(rev%200))})
	return b
}

func crashChild(dir string) {
	s, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	report := func(line string) {
		mu.Lock()
		out.WriteString(line)
		out.Flush() // the ack is only reported once it is in the pipe
		mu.Unlock()
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			stream := fmt.Sprintf("crash-%d", w)
			exp := eventstore.NoStream
			var next uint64
			if evs, err := s.ReadStream(ctx, stream, eventstore.StreamEnd, eventstore.Backwards, 1); err == nil {
				exp, next = eventstore.Exact(evs[0].Revision), evs[0].Revision+1
			}
			for i := 0; ; i++ {
				size := 1 + (w+i)%3
				batch := fmt.Sprintf("%d-%d-%d", os.Getpid(), w, i)
				evs := make([]eventstore.EventData, size)
				for j := range evs {
					evs[j] = eventstore.EventData{
						ID:   eventstore.DeterministicID(batch, strconv.Itoa(j)),
						Type: "crash.Appended.v1",
						Data: crashData(stream, next+uint64(j), batch, j, size),
					}
				}
				res, err := s.Append(ctx, stream, exp, evs...)
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(4)
				}
				report(fmt.Sprintf("ack %s %d %d %d\n", stream, res.NextRevision, res.Position, size))
				exp, next = eventstore.Exact(res.NextRevision), res.NextRevision+1
			}
		}(w)
	}
	wg.Wait()
}

type ack struct {
	stream string
	rev    uint64
	pos    eventstore.Position
	size   int
}

func TestStore_survives_kill_9(t *testing.T) {
	cycles := 20
	if v := os.Getenv("CARECOORD_CRASH_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("CARECOORD_CRASH_CYCLES=%q: %v", v, err)
		}
		cycles = n
	}
	dir := t.TempDir()
	var acks []ack
	for c := 0; c < cycles; c++ {
		got := runAndKill(t, dir, time.Duration(20+rand.IntN(300))*time.Millisecond)
		acks = append(acks, got...)
		verifyAfterCrash(t, dir, acks, c)
	}
	if len(acks) < cycles {
		t.Fatalf("only %d appends acknowledged over %d cycles: the child did not get going", len(acks), cycles)
	}
	t.Logf("%d cycles, %d acknowledged appends checked", cycles, len(acks))
}

func runAndKill(t *testing.T, dir string, after time.Duration) []ack {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1<<16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// Kill only once the child is appending, then at a random moment.
	var acks []ack
	first, ok := <-lines
	if !ok {
		_ = cmd.Wait()
		t.Fatal("the child exited before acknowledging anything")
	}
	acks = append(acks, parseAck(t, first))
	time.AfterFunc(after, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
	for l := range lines {
		acks = append(acks, parseAck(t, l))
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, not by SIGKILL", err)
	}
	return acks
}

func parseAck(t *testing.T, line string) ack {
	var a ack
	if _, err := fmt.Sscanf(line, "ack %s %d %d %d", &a.stream, &a.rev, &a.pos, &a.size); err != nil {
		t.Fatalf("child said %q: %v", line, err)
	}
	return a
}

func verifyAfterCrash(t *testing.T, dir string, acks []ack, cycle int) {
	t.Helper()
	s, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		t.Fatalf("cycle %d: reopen after kill: %v", cycle, err)
	}
	defer s.Close()
	ctx := context.Background()
	all, err := s.ReadAll(ctx, eventstore.Start, eventstore.Forwards, 0)
	if err != nil {
		t.Fatal(err)
	}
	byPos := make(map[eventstore.Position]*eventstore.RecordedEvent, len(all))
	batches := map[string][]*eventstore.RecordedEvent{}
	nextRev := map[string]uint64{}
	for i := range all {
		e := &all[i]
		if e.Position != eventstore.Position(i+1) {
			t.Fatalf("cycle %d: log has a gap: event %d at position %d", cycle, i, e.Position)
		}
		if e.Revision != nextRev[e.Stream] {
			t.Fatalf("cycle %d: %s revision %d follows %d", cycle, e.Stream, e.Revision, nextRev[e.Stream])
		}
		nextRev[e.Stream]++
		var p crashPayload
		if err := json.Unmarshal(e.Data, &p); err != nil {
			t.Fatalf("cycle %d: event at %d is torn: %v", cycle, e.Position, err)
		}
		if string(crashData(e.Stream, e.Revision, p.Batch, p.Index, p.Size)) != string(e.Data) {
			t.Fatalf("cycle %d: event at %d is not what was written", cycle, e.Position)
		}
		if e.ID != eventstore.DeterministicID(p.Batch, strconv.Itoa(p.Index)) {
			t.Fatalf("cycle %d: event at %d has the wrong ID", cycle, e.Position)
		}
		byPos[e.Position] = e
		batches[p.Batch] = append(batches[p.Batch], e)
	}
	for b, evs := range batches {
		var p crashPayload
		_ = json.Unmarshal(evs[0].Data, &p)
		if len(evs) != p.Size {
			t.Fatalf("cycle %d: batch %s has %d of its %d events: a torn batch", cycle, b, len(evs), p.Size)
		}
		for i := 1; i < len(evs); i++ {
			if evs[i].Position != evs[i-1].Position+1 {
				t.Fatalf("cycle %d: batch %s is not contiguous", cycle, b)
			}
		}
	}
	for _, a := range acks {
		e, ok := byPos[a.pos]
		if !ok {
			t.Fatalf("cycle %d: acknowledged append %s@%d (position %d) is lost", cycle, a.stream, a.rev, a.pos)
		}
		if e.Stream != a.stream || e.Revision != a.rev {
			t.Fatalf("cycle %d: position %d holds %s@%d, acknowledged %s@%d", cycle, a.pos, e.Stream, e.Revision, a.stream, a.rev)
		}
	}
}
