//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
)

// appender is the part of eventstore.Store the workload uses.
type appender interface {
	Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error)
}

type workload struct {
	writers          int
	streamsPerWriter int
	duration         time.Duration
}

// stopGrace bounds how long after the end of the run an append still in
// flight may take before it is cancelled; stopHard is when runWorkload gives
// up on writers that ignore cancellation.
const (
	stopGrace = 10 * time.Second
	stopHard  = 15 * time.Second
)

type result struct {
	events    uint64
	elapsed   time.Duration   // from the start until the last writer stopped
	latencies []time.Duration // of every successful append, sorted
}

func (r result) eventsPerSecond() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.events) / r.elapsed.Seconds()
}

// runWorkload runs w.writers goroutines for w.duration. Each owns
// w.streamsPerWriter fresh streams and appends one event at a time to them in
// turn: the first append of a stream expects NoStream, every later one
// Exact(head). Writers start no append after the run's end; the first error
// stops them all.
func runWorkload(ctx context.Context, a appender, w workload) (result, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	writers := make([]*writer, w.writers)
	for i := range writers {
		writers[i] = newWriter(i, w.streamsPerWriter, w.duration)
	}

	start := time.Now()
	deadline := start.Add(w.duration)
	appendCtx, cancelAppends := context.WithDeadline(ctx, deadline.Add(stopGrace))
	defer cancelAppends()

	var wg sync.WaitGroup
	for _, wr := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := wr.run(appendCtx, a, deadline); err != nil {
				cancel(err)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	hard := time.NewTimer(time.Until(deadline.Add(stopHard)))
	defer hard.Stop()
	select {
	case <-done:
	case <-hard.C:
		return result{}, fmt.Errorf("writers still running %v after the end of the run", stopHard)
	}
	elapsed := time.Since(start)

	if err := context.Cause(ctx); err != nil {
		return result{}, err
	}

	var res result
	res.elapsed = elapsed
	n := 0
	for _, wr := range writers {
		n += len(wr.latencies)
	}
	res.latencies = make([]time.Duration, 0, n)
	for _, wr := range writers {
		res.events += wr.events
		res.latencies = append(res.latencies, wr.latencies...)
	}
	slices.Sort(res.latencies)
	if res.events == 0 {
		return res, errors.New("no append completed")
	}
	return res, nil
}

type writer struct {
	id        int
	streams   []benchStream
	events    uint64
	latencies []time.Duration
}

type benchStream struct {
	name       string
	referralID string
	exists     bool
	head       uint64 // revision of the last event when exists
	lastEvent  string // ID of the last event, the next one's causation
}

func newWriter(id, streams int, d time.Duration) *writer {
	wr := &writer{
		id:      id,
		streams: make([]benchStream, streams),
		// room for a few thousand appends a second without regrowing
		latencies: make([]time.Duration, 0, int(d.Seconds()*2000)+1),
	}
	for i := range wr.streams {
		ref := uuid.NewString()
		wr.streams[i] = benchStream{name: "referrals.Referral-" + ref, referralID: ref}
	}
	return wr
}

func (wr *writer) run(ctx context.Context, a appender, deadline time.Time) error {
	for i := 0; ; i++ {
		if ctx.Err() != nil || !time.Now().Before(deadline) {
			return nil
		}
		s := &wr.streams[i%len(wr.streams)]
		expected := eventstore.NoStream
		if s.exists {
			expected = eventstore.Exact(s.head)
		}
		ev := wr.event(s)

		t0 := time.Now()
		res, err := a.Append(ctx, s.name, expected, ev)
		lat := time.Since(t0)
		if err != nil {
			if errors.Is(err, eventstore.ErrWrongExpectedVersion) {
				return fmt.Errorf("writer %d: conflict, though every writer owns its streams: %w", wr.id, err)
			}
			if ctx.Err() != nil && time.Now().After(deadline) {
				return fmt.Errorf("writer %d: append on %s still running %v after the end of the run: %w", wr.id, s.name, stopGrace, err)
			}
			return fmt.Errorf("writer %d: append to %s expecting %s: %w", wr.id, s.name, expected, err)
		}
		want := uint64(0)
		if s.exists {
			want = s.head + 1
		}
		if res.NextRevision != want {
			return fmt.Errorf("writer %d: append to %s expecting %s returned next revision %d, want %d", wr.id, s.name, expected, res.NextRevision, want)
		}
		s.exists, s.head, s.lastEvent = true, want, ev.ID.String()
		wr.events++
		wr.latencies = append(wr.latencies, lat)
	}
}

var priorities = [...]string{"routine", "urgent", "soon"}

// event is a referral event of about 200 bytes of JSON with realistic
// metadata; the first event of a stream is ReferralReceived.
func (wr *writer) event(s *benchStream) eventstore.EventData {
	now := time.Now().UTC()
	typ := "referrals.ReferralUpdated.v1"
	if !s.exists {
		typ = "referrals.ReferralReceived.v1"
	}
	seq := uint64(0)
	if s.exists {
		seq = s.head + 1
	}
	b := make([]byte, 0, 256)
	b = append(b, `{"referralId":"`...)
	b = append(b, s.referralID...)
	b = append(b, `","patientRef":"pt-`...)
	b = strconv.AppendInt(b, int64(100000+wr.id*1000+int(seq%1000)), 10)
	b = append(b, `","fromTeam":"community-nursing","toTeam":"falls-prevention","priority":"`...)
	b = append(b, priorities[seq%uint64(len(priorities))]...)
	b = append(b, `","reason":"two falls reported in six months","seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"updatedAt":"`...)
	b = now.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `"}`...)

	causation := s.lastEvent
	if causation == "" {
		causation = s.referralID
	}
	return eventstore.EventData{
		ID:   uuid.New(),
		Type: typ,
		Data: b,
		Metadata: eventstore.Metadata{
			CorrelationID: s.referralID,
			CausationID:   causation,
			Actor:         "user-" + strconv.Itoa(4000+wr.id),
			Locality:      "loc-" + strconv.Itoa(wr.id%8),
			OccurredAt:    now,
		},
	}
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum float64
	for _, d := range ds {
		sum += float64(d)
	}
	return time.Duration(sum / float64(len(ds)))
}
