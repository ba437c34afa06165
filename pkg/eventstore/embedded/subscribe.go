package embedded

import (
	"context"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"carecoord/pkg/eventstore"
)

// Subscribe implements eventstore.Store. A subscription reads the durable log
// itself, page by page, from its position up to the committed head, then
// waits for the head to move. Catch-up and live are the same loop, which is
// why there can be no gap, duplicate or reordering between them.
func (s *Store) Subscribe(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	release, err := s.readGuard()
	if err != nil {
		return nil, err
	}
	release()
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = eventstore.DefaultCheckpointInterval
	}
	ctx, cancel := context.WithCancel(ctx)
	sub := &subscription{
		s:      s,
		opts:   opts,
		ctx:    ctx,
		cancel: cancel,
		ch:     make(chan eventstore.SubscriptionMessage, subscriptionBuffer),
	}
	go sub.run()
	return sub, nil
}

const (
	subscriptionBuffer = 256
	pageSize           = 512
)

type subscription struct {
	s      *Store
	opts   eventstore.SubscribeOptions
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan eventstore.SubscriptionMessage

	mu  sync.Mutex
	err error
}

func (sub *subscription) Messages() <-chan eventstore.SubscriptionMessage { return sub.ch }

func (sub *subscription) Err() error {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.err
}

func (sub *subscription) Close() error {
	sub.cancel()
	return nil
}

func (sub *subscription) fail(err error) {
	sub.mu.Lock()
	sub.err = err
	sub.mu.Unlock()
}

func (sub *subscription) run() {
	defer close(sub.ch)
	defer sub.cancel()
	pos := sub.opts.After
	caughtUp := false
	sinceMatch := 0
	for {
		wait := sub.s.waitChan()
		head := eventstore.Position(sub.s.committed.Load())
		if pos < head {
			next, skipped, err := sub.page(pos, head)
			if err != nil {
				if sub.ctx.Err() == nil {
					sub.fail(err)
				}
				return
			}
			sinceMatch += skipped
			if next > pos && sinceMatch >= sub.opts.CheckpointInterval {
				if !sub.send(eventstore.SubscriptionMessage{Checkpoint: next}) {
					return
				}
				sinceMatch = 0
			}
			if next == pos {
				return // cancelled mid-page
			}
			pos = next
			continue
		}
		if !caughtUp {
			caughtUp = true
			if !sub.send(eventstore.SubscriptionMessage{CaughtUp: true, Checkpoint: pos}) {
				return
			}
			sinceMatch = 0
		} else if sinceMatch > 0 {
			// Idle at the head after passing over events: say how far the
			// log has been read, so a consumer can tell it is up to date.
			if !sub.send(eventstore.SubscriptionMessage{Checkpoint: pos}) {
				return
			}
			sinceMatch = 0
		}
		select {
		case <-wait:
		case <-sub.ctx.Done():
			return
		case <-sub.s.closedCh:
			sub.fail(eventstore.ErrClosed)
			return
		}
	}
}

// page delivers the matching events in (pos, head], at most pageSize read,
// and returns the position reached and how many events it passed over.
func (sub *subscription) page(pos, head eventstore.Position) (eventstore.Position, int, error) {
	release, err := sub.s.readGuard()
	if err != nil {
		return pos, 0, err
	}
	hi := head
	if hi-pos > pageSize {
		hi = pos + pageSize
	}
	// Read the page into memory first so that a slow consumer does not hold
	// the store's read guard (and so Close) while it blocks on the channel.
	var evs []eventstore.RecordedEvent
	var last eventstore.Position
	skipped := 0
	err = sub.s.iterate(sub.ctx, pos+1, hi, func(p eventstore.Position, v []byte) error {
		last = p
		h, _, _, err := decodeHeader(v)
		if err != nil {
			return err
		}
		if !sub.opts.Filter.Matches(h.stream, h.typ) {
			skipped++
			return nil
		}
		ev, err := decodeRecord(p, v)
		if err != nil {
			return err
		}
		evs = append(evs, ev)
		return nil
	})
	release()
	if err != nil {
		return pos, 0, err
	}
	for i := range evs {
		if !sub.send(eventstore.SubscriptionMessage{Event: &evs[i]}) {
			return pos, 0, nil
		}
	}
	if last == 0 {
		last = hi
	}
	return last, skipped, nil
}

func (sub *subscription) send(m eventstore.SubscriptionMessage) bool {
	select {
	case sub.ch <- m:
		return true
	case <-sub.ctx.Done():
		return false
	case <-sub.s.closedCh:
		sub.fail(eventstore.ErrClosed)
		return false
	}
}

// iterate calls fn for each stored event in [lo, hi] in order.
func (s *Store) iterate(ctx context.Context, lo, hi eventstore.Position, fn func(eventstore.Position, []byte) error) error {
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: eventKey(lo), UpperBound: eventKey(hi + 1)})
	if err != nil {
		return err
	}
	defer it.Close()
	for valid := it.First(); valid; valid = it.Next() {
		if err := fn(posFromEventKey(it.Key()), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}
