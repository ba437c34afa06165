package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"carecoord/pkg/eventstore"
)

// Store is the KurrentDB backend of [eventstore.Store]. It is safe for
// concurrent use.
type Store struct {
	conf   *esdb.Configuration // template for each client
	logger *slog.Logger
	opts   options

	mu      sync.Mutex
	conn    *conn // nil until needed or after the last one was retired
	closed  bool
	closing chan struct{} // closed when pending calls are to give up
	calls   sync.WaitGroup
	subs    map[*subscription]struct{}
	subsWG  sync.WaitGroup
}

// closeGrace is how long Close lets calls in progress finish before they
// return ErrClosed.
const closeGrace = 10 * time.Second

var _ eventstore.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*options)

type options struct {
	logger     *slog.Logger
	pageSize   int
	minBackoff time.Duration
	maxBackoff time.Duration
}

// WithLogger sets where the store logs subscription drops and retries, and,
// at debug level, the client's own log. The default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithPageSize sets how many events one $all read asks the server for
// (default 512, at least 2).
func WithPageSize(n int) Option {
	return func(o *options) { o.pageSize = max(n, 2) }
}

// WithResubscribeBackoff sets the pause before a dropped subscription is
// resumed: min after the first failure, doubling up to max (defaults 100ms
// and 5s).
func WithResubscribeBackoff(minDelay, maxDelay time.Duration) Option {
	return func(o *options) {
		if minDelay > 0 {
			o.minBackoff = minDelay
		}
		if maxDelay >= o.minBackoff {
			o.maxBackoff = maxDelay
		}
	}
}

// Open connects to a KurrentDB node or cluster given an esdb:// connection
// string (for example "esdb://localhost:2113?tls=false", or several
// comma-separated hosts for a cluster) and checks that $all can be read. ctx
// bounds that check.
func Open(ctx context.Context, connectionString string, opts ...Option) (*Store, error) {
	o := options{logger: slog.Default(), pageSize: 512, minBackoff: 100 * time.Millisecond, maxBackoff: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	o.maxBackoff = max(o.maxBackoff, o.minBackoff)
	conf, err := esdb.ParseConnectionString(connectionString)
	if err != nil {
		return nil, fmt.Errorf("kurrentdb: connection string: %w", err)
	}
	s := newStore(conf, o)
	if _, err := s.headOffset(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("kurrentdb: connect: %w", err)
	}
	return s, nil
}

func newStore(conf *esdb.Configuration, o options) *Store {
	logger := o.logger
	conf.Logger = func(level esdb.LogLevel, format string, args ...any) {
		logger.Debug("esdb client: "+fmt.Sprintf(format, args...), "level", level)
	}
	return &Store{conf: conf, logger: logger, opts: o, closing: make(chan struct{}), subs: map[*subscription]struct{}{}}
}

// Backend names the implementation.
func (s *Store) Backend() string { return "kurrentdb" }

// Close ends every subscription with ErrClosed, lets calls in progress
// finish (pending appends complete; after closeGrace those still waiting
// fail with ErrClosed) and closes the connection once no call uses it. Later
// calls fail with ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	subs := make([]*subscription, 0, len(s.subs))
	for sub := range s.subs {
		subs = append(subs, sub)
	}
	s.mu.Unlock()

	for _, sub := range subs {
		sub.stop(eventstore.ErrClosed)
	}
	s.subsWG.Wait()
	waitTimeout(&s.calls, closeGrace)
	close(s.closing)
	s.calls.Wait()
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		s.retire(c)
	}
	return nil
}

// Append writes events to stream if its revision matches expected.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	data := make([]esdb.EventData, len(events))
	for i, ev := range events {
		d, err := toEventData(i, ev)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		data[i] = d
	}
	opts := esdb.AppendToStreamOptions{ExpectedRevision: toExpected(expected)}
	res, err := call(ctx, s, false, func(c *esdb.Client) (*esdb.WriteResult, error) {
		return c.AppendToStream(ctx, stream, opts, data...)
	})
	if err != nil {
		return s.appendError(ctx, stream, expected, events, err)
	}
	out := eventstore.AppendResult{NextRevision: res.NextExpectedVersion}
	if res.CommitPosition != 0 && res.CommitPosition != unknownPosition {
		out.Position = fromLog(res.CommitPosition)
		return out, nil
	}
	// No position in the answer: read it from the last event written.
	last, err := s.readStreamRaw(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(res.NextExpectedVersion)}, 1)
	if err == nil && len(last) != 1 {
		err = errors.New("appended event not found")
	}
	if err != nil {
		return out, mapError(ctx, "read back the position of an append to", stream, err)
	}
	out.Position = recordedPosition(last[0])
	return out, nil
}

// appendError maps an append failure. A conflict is a
// *WrongExpectedVersionError, or ErrIdempotencyMismatch when some of the
// append's event IDs are already in the stream at the revisions it targeted
// (the server reports that as a plain conflict). Should all of them be there,
// the append is the repeat the server missed and its result is returned.
func (s *Store) appendError(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData, err error) (eventstore.AppendResult, error) {
	if code, ok := esdbCode(err); !ok || code != esdb.ErrorCodeWrongExpectedVersion {
		return eventstore.AppendResult{}, mapError(ctx, "append to", stream, err)
	}
	if there := s.eventsAtTarget(ctx, stream, expected, len(events)); len(there) > 0 {
		same := 0
		for i, ev := range there {
			if ev.EventID == events[i].ID {
				same++
			}
		}
		switch {
		case same == len(events):
			last := there[len(there)-1]
			return eventstore.AppendResult{NextRevision: last.EventNumber, Position: recordedPosition(last)}, nil
		case same > 0:
			return eventstore.AppendResult{}, fmt.Errorf("kurrentdb: append to %q: %w", stream, eventstore.ErrIdempotencyMismatch)
		}
	}
	wev := &eventstore.WrongExpectedVersionError{Stream: stream, Expected: expected}
	var known bool
	wev.Actual, wev.ActualExists, known = parseAppendActual(errText(err))
	if !known {
		if head, err := s.readStreamRaw(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1); err == nil && len(head) == 1 {
			wev.Actual, wev.ActualExists = head[0].EventNumber, true
		}
	}
	return eventstore.AppendResult{}, wev
}

// eventsAtTarget reads, for an exact or no-stream expectation, the (up to n)
// events now at the revisions an append of n events would have written. It
// returns nothing for other expectations or when the read fails.
func (s *Store) eventsAtTarget(ctx context.Context, stream string, expected eventstore.ExpectedRevision, n int) []*esdb.RecordedEvent {
	var first uint64
	if rev, ok := expected.Revision(); ok && rev != math.MaxUint64 {
		first = rev + 1
	} else if !expected.IsNoStream() {
		return nil
	}
	got, err := s.readStreamRaw(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(first)}, uint64(n))
	if err != nil || len(got) > n {
		return nil
	}
	return got
}

// ReadStream reads up to max events of stream (all of them when max <= 0)
// from revision from (inclusive) in direction dir.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir eventstore.Direction, max int) ([]eventstore.RecordedEvent, error) {
	if stream == "" {
		return nil, fmt.Errorf("kurrentdb: read stream %q: %w", stream, eventstore.ErrStreamNotFound)
	}
	opts := esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(from)}
	if dir == eventstore.Backwards {
		opts.Direction = esdb.Backwards
	}
	if from == eventstore.StreamEnd {
		opts.From = esdb.End{}
	}
	count := uint64(math.MaxInt64)
	if max > 0 {
		count = uint64(max)
	}
	raw, err := s.readStreamRaw(ctx, stream, opts, count)
	if err != nil {
		return nil, mapError(ctx, "read stream", stream, err)
	}
	out := make([]eventstore.RecordedEvent, len(raw))
	for i, ev := range raw {
		out[i] = toRecorded(ev)
	}
	return out, nil
}

// ReadAll reads up to max events of the global log (all of them when
// max <= 0) from position from (inclusive) in direction dir, skipping the
// server's own events.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, dir eventstore.Direction, max int) ([]eventstore.RecordedEvent, error) {
	if max <= 0 {
		max = math.MaxInt
	}
	if dir == eventstore.Backwards {
		return s.readAllBackwards(ctx, from, max)
	}
	return s.readAllForwards(ctx, from, max)
}

// pageFor is how many events to ask the server for when n more are wanted.
// Server events are skipped after the read, so a page can yield fewer; the
// readers then read on.
func (s *Store) pageFor(n int) int {
	return min(max(n, 1), s.opts.pageSize)
}

func (s *Store) readAllForwards(ctx context.Context, from eventstore.Position, max int) ([]eventstore.RecordedEvent, error) {
	if from == eventstore.End {
		return nil, nil
	}
	off, inclusive := toLog(from)
	var out []eventstore.RecordedEvent
	for {
		count := s.pageFor(max - len(out))
		if count < s.opts.pageSize {
			count++ // a page after the first repeats its start
		}
		page, err := s.readAllRaw(ctx, esdb.Forwards, allFrom(off), count)
		if err != nil {
			return out, mapError(ctx, "read $all from", fmt.Sprint(from), err)
		}
		for _, ev := range page {
			at := ev.Position.Commit
			// The server starts at off inclusive.
			if at < off || (at == off && !inclusive) {
				continue
			}
			off, inclusive = at, false
			if isServerEvent(ev.StreamID, ev.EventType) {
				continue
			}
			out = append(out, toRecorded(ev))
			if len(out) == max {
				return out, nil
			}
		}
		if len(page) < count {
			return out, nil
		}
	}
}

func (s *Store) readAllBackwards(ctx context.Context, from eventstore.Position, max int) ([]eventstore.RecordedEvent, error) {
	if from == eventstore.Start {
		return nil, nil
	}
	var out []eventstore.RecordedEvent
	var start esdb.AllPosition = esdb.End{}
	off := uint64(math.MaxUint64) // events before off only
	if from != eventstore.End {
		off, _ = toLog(from)
		// A backwards read from off leaves out the event at off (the server
		// compares record end offsets): fetch it first.
		first, err := s.readAllRaw(ctx, esdb.Forwards, allFrom(off), 1)
		if err != nil {
			return nil, mapError(ctx, "read $all from", fmt.Sprint(from), err)
		}
		if len(first) == 1 && first[0].Position.Commit == off && !isServerEvent(first[0].StreamID, first[0].EventType) {
			out = append(out, toRecorded(first[0]))
			if len(out) == max {
				return out, nil
			}
		}
		start = logPos(off)
	}
	for {
		count := s.pageFor(max - len(out))
		page, err := s.readAllRaw(ctx, esdb.Backwards, start, count)
		if err != nil {
			return out, mapError(ctx, "read $all backwards from", fmt.Sprint(from), err)
		}
		for _, ev := range page {
			at := ev.Position.Commit
			if at >= off {
				continue
			}
			off = at
			if isServerEvent(ev.StreamID, ev.EventType) {
				continue
			}
			out = append(out, toRecorded(ev))
			if len(out) == max {
				return out, nil
			}
		}
		if len(page) < count || off == 0 {
			return out, nil
		}
		start = logPos(off)
	}
}

// headOffset is the log offset of the last event in $all (of any kind), 0 if
// the log holds none.
func (s *Store) headOffset(ctx context.Context) (uint64, error) {
	page, err := s.readAllRaw(ctx, esdb.Backwards, esdb.End{}, 1)
	if err != nil || len(page) == 0 {
		return 0, err
	}
	return page[0].Position.Commit, nil
}

// lastEventAtOrBefore is the log offset of the last event (of any kind) that
// ends at or before log offset off, 0 if there is none.
func (s *Store) lastEventAtOrBefore(ctx context.Context, off uint64) (uint64, error) {
	if off == 0 {
		return 0, nil
	}
	page, err := s.readAllRaw(ctx, esdb.Backwards, logPos(off), 1)
	if err != nil || len(page) == 0 {
		return 0, err
	}
	return page[0].Position.Commit, nil
}

// DeleteStream tombstones stream if its revision matches expected.
func (s *Store) DeleteStream(ctx context.Context, stream string, expected eventstore.ExpectedRevision) error {
	if stream == "" {
		return &eventstore.InvalidEventError{Reason: "empty stream name"}
	}
	opts := esdb.TombstoneStreamOptions{ExpectedRevision: toExpected(expected)}
	_, err := call(ctx, s, false, func(c *esdb.Client) (*esdb.DeleteResult, error) {
		return c.TombstoneStream(ctx, stream, opts)
	})
	if err == nil {
		return nil
	}
	if wev, ok := deleteWrongExpected(stream, expected, err); ok {
		return wev
	}
	return mapError(ctx, "delete stream", stream, err)
}

func (s *Store) readStreamRaw(ctx context.Context, stream string, opts esdb.ReadStreamOptions, count uint64) ([]*esdb.RecordedEvent, error) {
	return call(ctx, s, true, func(c *esdb.Client) ([]*esdb.RecordedEvent, error) {
		rs, err := c.ReadStream(ctx, stream, opts, count)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		return drain(rs)
	})
}

func (s *Store) readAllRaw(ctx context.Context, dir esdb.Direction, from esdb.AllPosition, count int) ([]*esdb.RecordedEvent, error) {
	return call(ctx, s, true, func(c *esdb.Client) ([]*esdb.RecordedEvent, error) {
		rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{Direction: dir, From: from}, uint64(count))
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		return drain(rs)
	})
}

// drain reads rs to its end. The client panics on a response type it does
// not know; that becomes an error here.
func drain(rs *esdb.ReadStream) (out []*esdb.RecordedEvent, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kurrentdb: unexpected read response: %v", r)
		}
	}()
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if rec := ev.OriginalEvent(); rec != nil {
			out = append(out, rec)
		}
	}
}
