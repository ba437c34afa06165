package embedded_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
)

func appendN(t *testing.T, s eventstore.Store, stream string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		exp := eventstore.Exact(uint64(i - 1))
		if i == 0 {
			exp = eventstore.NoStream
		}
		_, err := s.Append(context.Background(), stream, exp, eventstore.EventData{
			ID: uuid.New(), Type: "test.Happened.v1", Data: []byte(fmt.Sprintf(`{"n":%d}`, i)),
			Metadata: eventstore.Metadata{Extra: map[string]string{"z": "1", "a": "2", "m": "3"}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func snapshotBytes(t *testing.T, s *embedded.Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.Snapshot(&buf); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return buf.Bytes()
}

func TestStore_Restore_makes_an_identical_store(t *testing.T) {
	src := mustOpen(t, t.TempDir())
	defer src.Close()
	for i := 0; i < 20; i++ {
		appendN(t, src, fmt.Sprintf("s-%d", i), 5)
	}
	if err := src.DeleteStream(context.Background(), "s-3", eventstore.Any); err != nil {
		t.Fatal(err)
	}
	snap := snapshotBytes(t, src)

	dst := mustOpen(t, t.TempDir())
	defer dst.Close()
	appendN(t, dst, "stale", 3) // replaced whole by the restore
	if err := dst.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !bytes.Equal(snapshotBytes(t, dst), snap) {
		t.Fatal("the restored store's snapshot differs from the source's")
	}
	if dst.LastPosition() != src.LastPosition() {
		t.Fatalf("restored last position %d, source %d", dst.LastPosition(), src.LastPosition())
	}
	if _, err := dst.ReadStream(context.Background(), "stale", 0, eventstore.Forwards, 0); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("a stream written before the restore survived it: %v", err)
	}
	if _, err := dst.ReadStream(context.Background(), "s-3", 0, eventstore.Forwards, 0); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("the tombstone did not survive the restore: %v", err)
	}
	// The restored store carries on where the source left off.
	res, err := dst.Append(context.Background(), "s-0", eventstore.Exact(4), eventstore.EventData{ID: uuid.New(), Type: "test.Happened.v1", Data: []byte(`{}`)})
	if err != nil || res.NextRevision != 5 || res.Position != src.LastPosition()+1 {
		t.Fatalf("append after restore: %+v, %v", res, err)
	}
}

func TestStore_Restore_rejects_a_corrupt_snapshot(t *testing.T) {
	src := mustOpen(t, t.TempDir())
	defer src.Close()
	appendN(t, src, "s", 10)
	snap := snapshotBytes(t, src)
	corrupt := bytes.Clone(snap)
	corrupt[len(corrupt)/2] ^= 0xff
	dst := mustOpen(t, t.TempDir())
	if err := dst.Restore(bytes.NewReader(corrupt)); err == nil {
		t.Fatal("a corrupted snapshot was restored")
	}
	dir := dst.Dir()
	dst.Close()
	if _, err := embedded.Open(dir, embedded.Options{}); !errors.Is(err, embedded.ErrIncompleteRestore) {
		t.Fatalf("opening after a failed restore: %v, want ErrIncompleteRestore", err)
	}
	again, err := embedded.Open(dir, embedded.Options{AllowIncompleteRestore: true})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := again.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("restoring again: %v", err)
	}
	if !bytes.Equal(snapshotBytes(t, again), snap) {
		t.Fatal("second restore is not identical to the source")
	}
}

func TestStore_ApplyBatch_is_deterministic(t *testing.T) {
	// Two stores given the same commands and clock end byte-identical: the
	// property the raft backend relies on.
	cmds := func() []*embedded.Command {
		id := func(i int) uuid.UUID { return eventstore.DeterministicID("det", fmt.Sprint(i)) }
		var out []*embedded.Command
		for i := 0; i < 50; i++ {
			out = append(out, &embedded.Command{Stream: fmt.Sprintf("s-%d", i%7), Expected: eventstore.Any, Events: []eventstore.EventData{{
				ID: id(i), Type: "test.Happened.v1", Data: []byte(`{}`),
				Metadata: eventstore.Metadata{Extra: map[string]string{"b": "1", "a": "2", "c": "3"}},
			}}})
		}
		// A conflict and a repeat are decided the same way too.
		out = append(out, &embedded.Command{Stream: "s-0", Expected: eventstore.NoStream, Events: []eventstore.EventData{{ID: uuid.New(), Type: "t.v1"}}})
		out = append(out, out[0])
		return out
	}
	a := mustOpen(t, t.TempDir())
	b := mustOpen(t, t.TempDir())
	defer a.Close()
	defer b.Close()
	clock := fixedTime()
	outA, errA := a.ApplyBatch(cmds(), clock, 7)
	outB, errB := b.ApplyBatch(cmds(), clock, 7)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	for i := range outA {
		if outA[i].Result != outB[i].Result || (outA[i].Err == nil) != (outB[i].Err == nil) {
			t.Fatalf("command %d decided differently: %+v vs %+v", i, outA[i], outB[i])
		}
	}
	if !errors.Is(outA[50].Err, eventstore.ErrWrongExpectedVersion) || outA[51].Err != nil || outA[51].Result != outA[0].Result {
		t.Fatalf("conflict/repeat outcomes: %+v / %+v", outA[50], outA[51])
	}
	if !bytes.Equal(snapshotBytes(t, a), snapshotBytes(t, b)) {
		t.Fatal("same batch, different bytes")
	}
	if idx, err := a.AppliedIndex(); err != nil || idx != 7 {
		t.Fatalf("applied index %d, %v", idx, err)
	}
}

func TestStore_OpenSnapshot_is_the_state_when_it_was_opened(t *testing.T) {
	// The raft backend fixes the view in its state machine's Snapshot and
	// writes it out later, while later batches are applied.
	src := mustOpen(t, t.TempDir())
	defer src.Close()
	appendN(t, src, "before", 5)
	want := snapshotBytes(t, src)
	pit, err := src.OpenSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, src, "after", 3)
	var buf bytes.Buffer
	n, err := pit.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("write: %d bytes reported, %d written, %v", n, buf.Len(), err)
	}
	if err := pit.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatal("the view holds appends made after it was opened")
	}
	if err := src.Sync(); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

func TestStore_ApplyBatch_stamps_a_command_with_its_own_recorded_at(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	defer s.Close()
	own := fixedTime().Add(time.Hour)
	cmds := []*embedded.Command{
		{Stream: "a", Expected: eventstore.NoStream, Events: []eventstore.EventData{{ID: uuid.New(), Type: "t.v1"}}},
		{Stream: "b", Expected: eventstore.NoStream, Events: []eventstore.EventData{{ID: uuid.New(), Type: "t.v1"}}, RecordedAt: own},
	}
	if _, err := s.ApplyBatch(cmds, fixedTime(), 3); err != nil {
		t.Fatal(err)
	}
	all, err := s.ReadAll(context.Background(), eventstore.Start, eventstore.Forwards, 0)
	if err != nil || len(all) != 2 {
		t.Fatalf("read: %d events, %v", len(all), err)
	}
	if !all[0].RecordedAt.Equal(fixedTime()) || !all[1].RecordedAt.Equal(own) {
		t.Fatalf("recorded at %v and %v", all[0].RecordedAt, all[1].RecordedAt)
	}
}
