package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"carecoord/pkg/eventstore"
)

// WriterConfig configures a Writer. Zero values take the defaults.
type WriterConfig struct {
	Store  eventstore.Store
	Logger *zap.Logger
	// BatchSize is the most entries one flush takes (default 500);
	// FlushInterval the longest an entry waits for its batch (default 50ms).
	BatchSize     int
	FlushInterval time.Duration
	// BufferSize is how many entries may wait to be written (default 8192).
	BufferSize int
	// EnqueueTimeout is how long Write waits for room in a full buffer
	// before it drops the entry (default 100ms): a slow store must not
	// hold up the readers for ever.
	EnqueueTimeout time.Duration
	// AppendTimeout bounds one append (default 10s); a failed append is
	// tried AppendAttempts times in all (default 3).
	AppendTimeout  time.Duration
	AppendAttempts int
}

// Stats counts a Writer's entries.
type Stats struct {
	// Written entries are in the store.
	Written uint64
	// Dropped entries found the buffer full (or the writer closed) and were
	// never queued.
	Dropped uint64
	// Failed entries were queued but the store refused them.
	Failed uint64
}

// Writer appends audit entries to the day's audit stream in batches: Write
// queues an entry on a buffered channel and returns; one goroutine appends
// what has queued, up to BatchSize entries or after FlushInterval, with
// expected revision Any (entries of concurrent requests have no order to
// protect) and event IDs derived from the request IDs (so a retried append
// writes nothing twice).
type Writer struct {
	cfg    WriterConfig
	logger *zap.Logger
	in     chan Entry
	done   chan struct{}

	mu     sync.RWMutex // Write holds it shared; Close exclusive
	closed bool

	written, dropped, failed atomic.Uint64
	// lastDropLog (unix nanos) and unlogged rate-limit the drop log line.
	lastDropLog atomic.Int64
	unlogged    atomic.Uint64
}

// NewWriter starts a writer. Close it to flush what is queued.
func NewWriter(cfg WriterConfig) (*Writer, error) {
	if cfg.Store == nil {
		return nil, errors.New("audit: a writer needs a store")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 50 * time.Millisecond
	}
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = 8192
	}
	if cfg.EnqueueTimeout <= 0 {
		cfg.EnqueueTimeout = 100 * time.Millisecond
	}
	if cfg.AppendTimeout <= 0 {
		cfg.AppendTimeout = 10 * time.Second
	}
	if cfg.AppendAttempts <= 0 {
		cfg.AppendAttempts = 3
	}
	w := &Writer{cfg: cfg, logger: cfg.Logger, in: make(chan Entry, cfg.BufferSize), done: make(chan struct{})}
	go w.run()
	return w, nil
}

// Write queues an entry. It waits at most EnqueueTimeout for room; an entry
// that finds none is dropped, counted and logged (without its contents),
// and Write returns false.
func (w *Writer) Write(e Entry) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.drop(e, "the audit writer is closed")
		return false
	}
	select {
	case w.in <- e:
		return true
	default:
	}
	t := time.NewTimer(w.cfg.EnqueueTimeout)
	defer t.Stop()
	select {
	case w.in <- e:
		return true
	case <-t.C:
		w.drop(e, "the audit buffer is full")
		return false
	}
}

// drop counts a lost entry and logs it: the first, and then at most once a
// second with the count since, so that an overloaded store does not also
// flood the log. The line names the request, never a patient.
func (w *Writer) drop(e Entry, why string) {
	w.dropped.Add(1)
	w.unlogged.Add(1)
	now := time.Now().UnixNano()
	last := w.lastDropLog.Load()
	if last != 0 && now-last < int64(time.Second) {
		return
	}
	if !w.lastDropLog.CompareAndSwap(last, now) {
		return
	}
	w.logger.Error("audit entry dropped", zap.String("reason", why),
		zap.String("request_id", e.RequestID), zap.String("correlation_id", e.CorrelationID),
		zap.String("kind", string(e.Kind)), zap.Uint64("dropped_since_last_log", w.unlogged.Swap(0)),
		zap.Uint64("dropped_total", w.dropped.Load()))
}

// Stats returns the writer's counts so far.
func (w *Writer) Stats() Stats {
	return Stats{Written: w.written.Load(), Dropped: w.dropped.Load(), Failed: w.failed.Load()}
}

// Close stops taking entries, appends every queued one and returns once
// they are written (or have failed). Closing twice is harmless.
func (w *Writer) Close() error {
	w.mu.Lock()
	first := !w.closed
	if first {
		w.closed = true
		failedBefore := w.failed.Load()
		close(w.in)
		w.mu.Unlock()
		<-w.done
		st := w.Stats()
		w.logger.Info("audit writer closed", zap.Uint64("written", st.Written), zap.Uint64("dropped", st.Dropped), zap.Uint64("failed", st.Failed))
		if n := w.failed.Load() - failedBefore; n > 0 {
			return fmt.Errorf("audit: %d entries could not be written", n)
		}
		return nil
	}
	w.mu.Unlock()
	<-w.done
	return nil
}

func (w *Writer) run() {
	defer close(w.done)
	batch := make([]Entry, 0, w.cfg.BatchSize)
	var timer *time.Timer
	var due <-chan time.Time
	flush := func() {
		if timer != nil {
			timer.Stop()
		}
		due = nil
		w.flush(batch)
		clear(batch)
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-w.in:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
			if len(batch) >= w.cfg.BatchSize {
				flush()
			} else if due == nil {
				timer = time.NewTimer(w.cfg.FlushInterval)
				due = timer.C
			}
		case <-due:
			flush()
		}
	}
}

// maxNHSPerEvent keeps an event well under eventstore.MaxEventDataSize: a
// request that touched more patients is recorded as several events.
const maxNHSPerEvent = 20000

// flush appends a batch, one append per day stream.
func (w *Writer) flush(batch []Entry) {
	if len(batch) == 0 {
		return
	}
	var streams []string
	byStream := map[string][]eventstore.EventData{}
	counts := map[string]int{}
	seen := map[[16]byte]bool{}
	for _, e := range batch {
		s := Stream(e.At)
		if _, ok := byStream[s]; !ok {
			streams = append(streams, s)
		}
		evs, err := toEvents(e)
		if err != nil {
			w.failed.Add(1)
			w.logger.Error("audit entry could not be encoded", zap.String("request_id", e.RequestID), zap.Error(err))
			continue
		}
		for _, ev := range evs {
			// A request is one entry; a repeat (a caller's mistake) would
			// make the append invalid.
			if !seen[ev.ID] {
				seen[ev.ID] = true
				byStream[s] = append(byStream[s], ev)
			}
		}
		counts[s]++
	}
	for _, s := range streams {
		if len(byStream[s]) == 0 {
			continue
		}
		if err := w.appendStream(s, byStream[s]); err != nil {
			w.failed.Add(uint64(counts[s]))
			w.logger.Error("audit entries could not be written", zap.String("stream", s), zap.Int("entries", counts[s]), zap.Error(err))
			continue
		}
		w.written.Add(uint64(counts[s]))
	}
}

// appendStream appends events to one stream, retrying a failure. A batch
// some of whose events an earlier, interrupted attempt did write is
// appended event by event, each one idempotent.
func (w *Writer) appendStream(stream string, evs []eventstore.EventData) error {
	var err error
	for attempt := 0; attempt < w.cfg.AppendAttempts; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), w.cfg.AppendTimeout)
		_, err = w.cfg.Store.Append(ctx, stream, eventstore.Any, evs...)
		cancel()
		if errors.Is(err, eventstore.ErrIdempotencyMismatch) && len(evs) > 1 {
			err = nil
			for _, ev := range evs {
				ctx, cancel := context.WithTimeout(context.Background(), w.cfg.AppendTimeout)
				_, e := w.cfg.Store.Append(ctx, stream, eventstore.Any, ev)
				cancel()
				err = errors.Join(err, e)
			}
		}
		if err == nil || errors.Is(err, eventstore.ErrClosed) {
			return err
		}
		if errors.Is(err, eventstore.ErrInvalidEvent) {
			return err // trying again will not help
		}
	}
	return err
}

// toEvents encodes an entry as its audit event(s).
func toEvents(e Entry) ([]eventstore.EventData, error) {
	if e.NHSNumbers == nil {
		e.NHSNumbers = []string{}
	}
	parts := [][]string{e.NHSNumbers}
	if len(e.NHSNumbers) > maxNHSPerEvent {
		parts = parts[:0]
		for rest := e.NHSNumbers; len(rest) > 0; {
			n := min(len(rest), maxNHSPerEvent)
			parts = append(parts, rest[:n])
			rest = rest[n:]
		}
	}
	out := make([]eventstore.EventData, 0, len(parts))
	for i, p := range parts {
		part := e
		part.NHSNumbers = p
		data, err := json.Marshal(part)
		if err != nil {
			return nil, err
		}
		out = append(out, eventstore.EventData{
			ID:   eventID(e.RequestID, i),
			Type: EventType,
			Data: data,
			Metadata: eventstore.Metadata{
				CorrelationID: e.CorrelationID,
				Actor:         e.Subject,
				OccurredAt:    e.At,
			},
		})
	}
	return out, nil
}
