package kurrentdb

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"carecoord/pkg/eventstore"
)

// Subscribe starts a catch-up subscription over $all (see the package
// documentation). The subscription runs until Close, ctx is cancelled, the
// store is closed (Err is then ErrClosed) or the server refuses it (access
// denied, invalid position); dropped connections are resumed.
func (s *Store) Subscribe(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = eventstore.DefaultCheckpointInterval
	}
	opts.Filter = eventstore.Filter{
		EventTypes:     slices.Clone(opts.Filter.EventTypes),
		StreamPrefixes: slices.Clone(opts.Filter.StreamPrefixes),
	}
	sctx, cancel := context.WithCancel(ctx)
	sub := &subscription{
		s:      s,
		opts:   opts,
		ch:     make(chan eventstore.SubscriptionMessage, 16),
		ctx:    sctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		return nil, eventstore.ErrClosed
	}
	s.subs[sub] = struct{}{}
	s.subsWG.Add(1)
	s.mu.Unlock()
	go sub.run()
	return sub, nil
}

type subscription struct {
	s      *Store
	opts   eventstore.SubscribeOptions
	ch     chan eventstore.SubscriptionMessage
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	cause error // why it was stopped from outside (ErrClosed), reported by Err
	err   error
}

func (sub *subscription) Messages() <-chan eventstore.SubscriptionMessage { return sub.ch }

func (sub *subscription) Err() error {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.err
}

func (sub *subscription) Close() error {
	sub.stop(nil)
	<-sub.done
	return nil
}

// stop ends the subscription; cause, if not nil, is what Err reports.
func (sub *subscription) stop(cause error) {
	sub.mu.Lock()
	if sub.cause == nil {
		sub.cause = cause
	}
	sub.mu.Unlock()
	sub.cancel()
}

func (sub *subscription) run() {
	defer func() {
		sub.s.mu.Lock()
		delete(sub.s.subs, sub)
		sub.s.mu.Unlock()
		close(sub.ch)
		close(sub.done)
		sub.s.subsWG.Done()
	}()
	err := sub.loop()
	sub.mu.Lock()
	switch {
	case sub.cause != nil:
		sub.err = sub.cause
	case sub.ctx.Err() != nil:
		sub.err = nil
	default:
		sub.err = err
	}
	sub.mu.Unlock()
	sub.cancel()
}

// subState is what a subscription carries across reconnections.
type subState struct {
	cursor   cursor
	caughtUp bool
	haveHead bool
	head     uint64 // log offset of the head when the subscription started
}

func (sub *subscription) loop() error {
	st := &subState{cursor: cursor{last: sub.opts.After, filter: sub.opts.Filter, interval: sub.opts.CheckpointInterval}}
	bo := backoff{min: sub.s.opts.minBackoff, max: sub.s.opts.maxBackoff}
	for {
		progressed, err := sub.attempt(st)
		if sub.ctx.Err() != nil {
			return nil
		}
		if permanent(err) {
			return err
		}
		if progressed {
			bo.reset()
		}
		sub.s.logger.Warn("kurrentdb: subscription dropped, resuming", "after", uint64(st.cursor.last), "err", err)
		if !bo.wait(sub.ctx) {
			return nil
		}
	}
}

// attempt runs one server subscription from the cursor until it drops. It
// reports whether anything was received and why it ended (nil when the
// subscription's context ended).
func (sub *subscription) attempt(st *subState) (progressed bool, err error) {
	ctx := sub.ctx
	if !st.haveHead {
		head, err := sub.s.headOffset(ctx)
		if err != nil {
			return false, err
		}
		st.head, st.haveHead = head, true
		if st.cursor.last == eventstore.End {
			st.cursor.last = fromLog(head)
		}
		if off, _ := toLog(st.cursor.last); off >= head && !sub.markCaughtUp(st) {
			return false, nil
		}
	}

	off, _ := toLog(st.cursor.last)
	window, multiplier := checkpointSettings(st.cursor.interval)
	opts := esdb.SubscribeToAllOptions{
		From:               allFrom(off), // never nil: nil means End
		Filter:             serverFilter(sub.opts.Filter),
		MaxSearchWindow:    window,
		CheckpointInterval: multiplier,
	}
	es, l, err := sub.s.subscribeToAll(ctx, opts)
	if err != nil {
		return false, err
	}
	defer func() {
		_ = es.Close()
		l.release(err)
	}()

	for {
		ev := es.Recv()
		switch {
		case ev.SubscriptionDropped != nil:
			return progressed, ev.SubscriptionDropped.Error
		case ev.EventAppeared != nil:
			rec := ev.EventAppeared.OriginalEvent()
			if rec == nil {
				continue
			}
			progressed = true
			if !sub.onEvent(st, rec) {
				return progressed, nil
			}
		case ev.CheckPointReached != nil:
			progressed = true
			if !sub.onCheckpoint(st, ev.CheckPointReached.Commit) {
				return progressed, nil
			}
		case ev.CaughtUp != nil:
			if !sub.markCaughtUp(st) {
				return progressed, nil
			}
		}
	}
}

// onEvent handles an event from the server; false means the subscription is
// ending.
func (sub *subscription) onEvent(st *subState, rec *esdb.RecordedEvent) bool {
	pos := recordedPosition(rec)
	switch st.cursor.observe(pos, rec.StreamID, rec.EventType) {
	case actionDuplicate:
		return true
	case actionDeliver:
		e := toRecorded(rec)
		if !sub.send(eventstore.SubscriptionMessage{Event: &e}) {
			return false
		}
	case actionCheckpoint:
		if !sub.send(eventstore.SubscriptionMessage{Checkpoint: pos}) {
			return false
		}
	}
	return sub.reached(st, rec.Position.Commit)
}

// onCheckpoint handles a server checkpoint. Its offset need not be an event's
// position (and a consumer could not resume from it), so it is passed on as
// the position of the last event at or before it.
func (sub *subscription) onCheckpoint(st *subState, commit uint64) bool {
	off, err := sub.s.lastEventAtOrBefore(sub.ctx, commit)
	if err != nil {
		if sub.ctx.Err() != nil {
			return false
		}
		sub.s.logger.Debug("kurrentdb: skipping a checkpoint that could not be resolved", "offset", commit, "err", err)
		return true
	}
	if off == 0 {
		return true
	}
	pos := fromLog(off)
	if st.cursor.checkpoint(pos) && !sub.send(eventstore.SubscriptionMessage{Checkpoint: pos}) {
		return false
	}
	return sub.reached(st, off)
}

// reached notes that the subscription has got to log offset off: caught up
// once that is the head it started at (for servers that do not say so).
func (sub *subscription) reached(st *subState, off uint64) bool {
	if st.caughtUp || !st.haveHead || off < st.head {
		return true
	}
	return sub.markCaughtUp(st)
}

// markCaughtUp sends CaughtUp the first time.
func (sub *subscription) markCaughtUp(st *subState) bool {
	if st.caughtUp {
		return true
	}
	st.caughtUp = true
	return sub.send(eventstore.SubscriptionMessage{CaughtUp: true})
}

func (sub *subscription) send(m eventstore.SubscriptionMessage) bool {
	select {
	case sub.ch <- m:
		return true
	case <-sub.ctx.Done():
		return false
	}
}

// cursor is a subscription's place in the log and its filtering, apart from
// any I/O.
type cursor struct {
	last     eventstore.Position // everything at or before it has been handled
	filter   eventstore.Filter
	interval int // checkpoint after this many events without a match
	skipped  int // events without a match since the last event or checkpoint sent
}

type action int

const (
	actionNone       action = iota // nothing to send
	actionDuplicate                // at or before the cursor: already handled
	actionDeliver                  // send the event
	actionCheckpoint               // send a checkpoint at the event's position
)

// observe accounts for the event at pos and says what to send.
func (c *cursor) observe(pos eventstore.Position, stream, eventType string) action {
	if pos <= c.last {
		return actionDuplicate
	}
	c.last = pos
	if !isServerEvent(stream, eventType) && c.filter.Matches(stream, eventType) {
		c.skipped = 0
		return actionDeliver
	}
	c.skipped++
	if c.skipped >= c.interval {
		c.skipped = 0
		return actionCheckpoint
	}
	return actionNone
}

// checkpoint accounts for a checkpoint at pos and reports whether it is news.
func (c *cursor) checkpoint(pos eventstore.Position) bool {
	if pos <= c.last {
		return false
	}
	c.last = pos
	c.skipped = 0
	return true
}

// backoff is the pause between resubscription attempts.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) reset() { b.cur = 0 }

// wait sleeps for the next delay; false if ctx ended first.
func (b *backoff) wait(ctx context.Context) bool {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(2*b.cur, b.max)
	}
	t := time.NewTimer(b.cur)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
