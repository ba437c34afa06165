package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"carecoord/pkg/eventstore"
)

func testGlobalOrderIsCommitOrder(t *testing.T, b Backend) {
	s, p := open(t, b)
	const writers, each = 8, 25
	type ack struct {
		stream string
		rev    uint64
		pos    eventstore.Position
	}
	var mu sync.Mutex
	var acks []ack
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			stream := fmt.Sprintf("%sw%d", p, w)
			exp := eventstore.NoStream
			for i := 0; i < each; i++ {
				res, err := s.Append(ctxT(t), stream, exp, ev("test.Happened.v1", stream, i))
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				exp = eventstore.Exact(res.NextRevision)
				mu.Lock()
				acks = append(acks, ack{stream, res.NextRevision, res.Position})
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	all := readAllWithPrefix(t, s, p)
	if len(all) != writers*each {
		t.Fatalf("global log has %d events, want %d", len(all), writers*each)
	}
	byPos := map[eventstore.Position]eventstore.RecordedEvent{}
	lastRev := map[string]int64{}
	for i, e := range all {
		if i > 0 && e.Position <= all[i-1].Position {
			t.Fatalf("global log not in position order at %d", i)
		}
		// Within a stream the global log agrees with revision order.
		if prev, ok := lastRev[e.Stream]; ok && int64(e.Revision) != prev+1 {
			t.Fatalf("stream %s: revision %d follows %d in the global log", e.Stream, e.Revision, prev)
		}
		lastRev[e.Stream] = int64(e.Revision)
		byPos[e.Position] = e
	}
	for _, a := range acks {
		e, ok := byPos[a.pos]
		if !ok || e.Stream != a.stream || e.Revision != a.rev {
			t.Fatalf("acknowledged %s@%d at position %d, log has %s@%d there", a.stream, a.rev, a.pos, e.Stream, e.Revision)
		}
	}
	// An append acknowledged before another started is earlier in the log.
	first := mustAppend(t, s, p+"seq", eventstore.NoStream, ev("test.Happened.v1", p+"seq", 0))
	second := mustAppend(t, s, p+"seq2", eventstore.NoStream, ev("test.Happened.v1", p+"seq2", 0))
	if second.Position <= first.Position {
		t.Fatalf("later append at %d, earlier at %d", second.Position, first.Position)
	}
}

func testReadAllBackwards(t *testing.T, b Backend) {
	s, p := open(t, b)
	stream := p + "back"
	var last eventstore.AppendResult
	for i := 0; i < 5; i++ {
		exp := eventstore.Exact(uint64(i - 1))
		if i == 0 {
			exp = eventstore.NoStream
		}
		last = mustAppend(t, s, stream, exp, ev("test.Happened.v1", stream, i))
	}
	evs, err := s.ReadAll(ctxT(t), last.Position, eventstore.Backwards, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].Position != last.Position || evs[0].Revision != 4 {
		t.Fatalf("backwards from the last append: %d events, first at %v", len(evs), revisions(evs))
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Position >= evs[i-1].Position {
			t.Fatalf("backwards read not descending")
		}
	}
	fwd, err := s.ReadAll(ctxT(t), evs[2].Position, eventstore.Forwards, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(fwd) != 3 || fwd[0].Position != evs[2].Position || fwd[2].Position != last.Position {
		t.Fatalf("forwards read is not inclusive of its start")
	}
	end, err := s.ReadAll(ctxT(t), eventstore.End, eventstore.Backwards, 1)
	if err != nil || len(end) != 1 || end[0].Position < last.Position {
		t.Fatalf("backwards from End: %v, %v", end, err)
	}
}

func testReadStreamNotFound(t *testing.T, b Backend) {
	s, p := open(t, b)
	_, err := s.ReadStream(ctxT(t), p+"missing", 0, eventstore.Forwards, 10)
	if !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("reading a missing stream: %v, want ErrStreamNotFound", err)
	}
}

func testDeleteStream(t *testing.T, b Backend) {
	s, p := open(t, b)
	stream := p + "gone"
	mustAppend(t, s, stream, eventstore.NoStream, ev("test.Happened.v1", stream, 0))
	err := s.DeleteStream(ctxT(t), stream, eventstore.Exact(3))
	wantWrongVersion(t, err)
	if err := s.DeleteStream(ctxT(t), stream, eventstore.Exact(0)); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.ReadStream(ctxT(t), stream, 0, eventstore.Forwards, 10); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("reading a deleted stream: %v, want ErrStreamDeleted", err)
	}
	if _, err := s.Append(ctxT(t), stream, eventstore.Any, ev("test.Happened.v1", stream, 1)); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("appending to a deleted stream: %v, want ErrStreamDeleted", err)
	}
}

func testMetadataRoundTrip(t *testing.T, b Backend) {
	s, p := open(t, b)
	stream := p + "meta"
	e := ev("test.Happened.v1", stream, 0)
	occurred := time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)
	e.Metadata = eventstore.Metadata{
		CorrelationID: "corr-1", CausationID: "cause-1", Actor: "user-7", Locality: "leek",
		OccurredAt: occurred, Extra: map[string]string{"commandId": "c-9", "b": "2"},
	}
	mustAppend(t, s, stream, eventstore.NoStream, e)
	got := readStream(t, s, stream)[0]
	m := got.Metadata
	if m.CorrelationID != "corr-1" || m.CausationID != "cause-1" || m.Actor != "user-7" || m.Locality != "leek" {
		t.Fatalf("metadata came back as %+v", m)
	}
	if !m.OccurredAt.Equal(occurred) {
		t.Fatalf("occurred-at %v, want %v", m.OccurredAt, occurred)
	}
	if m.Extra["commandId"] != "c-9" || m.Extra["b"] != "2" || len(m.Extra) != 2 {
		t.Fatalf("extra metadata %v", m.Extra)
	}
	if got.ID != e.ID || !bytes.Equal(got.Data, e.Data) {
		t.Fatalf("ID or data changed")
	}
}

func testLargeEvents(t *testing.T, b Backend) {
	s, p := open(t, b)
	stream := p + "large"
	data := make([]byte, eventstore.MaxEventDataSize)
	copy(data, `"`)
	for i := 1; i < len(data)-1; i++ {
		data[i] = 'a' + byte(i%26)
	}
	data[len(data)-1] = '"'
	e := ev("test.Large.v1", stream, 0)
	e.Data = data
	small := ev("test.Small.v1", stream, 1)
	mustAppend(t, s, stream, eventstore.NoStream, e)
	mustAppend(t, s, stream, eventstore.Exact(0), small)
	got := readStream(t, s, stream)
	if len(got) != 2 || !bytes.Equal(got[0].Data, data) || !bytes.Equal(got[1].Data, small.Data) {
		t.Fatalf("a 1 MiB event did not come back intact")
	}
}
