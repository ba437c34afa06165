package eventbus

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.uber.org/zap"

	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventstore"
)

// Subscriber is a watermill message.Subscriber over the event store for one
// durable consumer. It resumes from the consumer's checkpoint, catches up,
// then stays live. It hands over one message at a time and waits for its ack,
// so a consumer sees events in log order; the checkpoint advances only past
// acked events, and is written in batches (every FlushInterval), never once
// per message.
//
// It also delivers the consumer's replay stream, where parked events are put
// back for another try (see Replay).
type Subscriber struct {
	store    eventstore.Store
	cps      checkpoint.Store
	consumer string
	filter   eventstore.Filter
	logger   *zap.Logger
	flush    time.Duration
	redelay  time.Duration

	closing   chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	acked      atomic.Uint64 // main log position handled
	caughtUpAt atomic.Uint64 // head when the store said caught up (+1, 0 = not yet)

	// active, when set, says when this node runs the consumer (see
	// SubscriberConfig.Active); standby is true while it does not.
	active  func(context.Context) <-chan bool
	standby atomic.Bool
}

// SubscriberConfig configures a Subscriber.
type SubscriberConfig struct {
	// Consumer names the durable subscription: its checkpoint key. A
	// handler's name is its consumer, so renaming one is a migration.
	Consumer string
	Filter   eventstore.Filter
	Logger   *zap.Logger
	// FlushInterval is how often the checkpoint is written (default 200ms).
	FlushInterval time.Duration
	// RedeliveryDelay is the pause before a nacked message is sent again
	// (default 100ms).
	RedeliveryDelay time.Duration
	// Active, when set, makes the consumer run only while the channel it
	// returns last said true: a process manager of a cluster runs on the
	// leader alone. Each time it becomes active it resumes from the
	// checkpoint (which must then be shared by the nodes, as the event
	// store is); when it stops, it writes the checkpoint of what was acked.
	// Events handled after the last checkpoint are handled again by the
	// next active node, so the handlers' effects must be idempotent, as
	// they are for redelivery. Nil: always active.
	Active func(context.Context) <-chan bool
}

// NewSubscriber returns a Subscriber for one consumer.
func NewSubscriber(store eventstore.Store, cps checkpoint.Store, cfg SubscriberConfig) *Subscriber {
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 200 * time.Millisecond
	}
	if cfg.RedeliveryDelay <= 0 {
		cfg.RedeliveryDelay = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	return &Subscriber{
		store: store, cps: cps, consumer: cfg.Consumer, filter: cfg.Filter,
		logger: cfg.Logger.With(zap.String("consumer", cfg.Consumer)),
		flush:  cfg.FlushInterval, redelay: cfg.RedeliveryDelay,
		closing: make(chan struct{}), active: cfg.Active,
	}
}

// ReplayStream is the stream a consumer's parked events are put back on.
func ReplayStream(consumer string) string { return "$replay-" + consumer }

func replayConsumer(consumer string) string { return consumer + "#replay" }

// Subscribe implements message.Subscriber. The topic is informational: what
// a consumer receives is set by its filter.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	out := make(chan *message.Message)
	if s.active == nil {
		term, err := s.startTerm(ctx, out)
		if err != nil {
			return nil, err
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(out)
			term.wait()
		}()
		return out, nil
	}
	s.standby.Store(true)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		s.runWhileActive(ctx, out)
	}()
	return out, nil
}

// runWhileActive runs a term of delivery each time the consumer becomes
// active, and ends it when it stops being active, until ctx ends or the
// subscriber closes.
func (s *Subscriber) runWhileActive(ctx context.Context, out chan<- *message.Message) {
	wctx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	changes := s.active(wctx)
	isActive := false
	for {
		for !isActive {
			select {
			case <-ctx.Done():
				return
			case <-s.closing:
				return
			case v, ok := <-changes:
				if !ok {
					return
				}
				isActive = v
			}
		}
		tctx, endTerm := context.WithCancel(ctx)
		term, err := s.startTerm(tctx, out)
		if err != nil {
			endTerm()
			s.logger.Error("starting the consumer failed; retrying", zap.Error(err))
			select {
			case <-time.After(time.Second):
				continue
			case <-ctx.Done():
				return
			case <-s.closing:
				return
			}
		}
		s.standby.Store(false)
		s.logger.Info("consumer active on this node")
		ended := make(chan struct{})
		go func() { term.wait(); close(ended) }()
	term:
		for {
			select {
			case v, ok := <-changes:
				if !ok || !v {
					isActive = false
					break term
				}
			case <-ended:
				break term
			}
		}
		endTerm()
		<-ended
		s.caughtUpAt.Store(0)
		s.standby.Store(true)
		s.logger.Info("consumer stood down on this node")
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			return
		default:
		}
	}
}

// term is one run of delivery: from the checkpoint to the end of its
// context.
type term struct{ done chan struct{} }

func (t term) wait() { <-t.done }

// startTerm loads the checkpoints and starts delivering to out until ctx
// ends or the subscriber closes; the checkpoint is written as it goes and
// when the term ends.
func (s *Subscriber) startTerm(ctx context.Context, out chan<- *message.Message) (term, error) {
	from, err := s.cps.Load(ctx, s.consumer)
	if err != nil {
		return term{}, err
	}
	replayFrom, err := s.cps.Load(ctx, replayConsumer(s.consumer))
	if err != nil {
		return term{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	main, err := s.store.Subscribe(ctx, eventstore.SubscribeOptions{After: from, Filter: s.filter})
	if err != nil {
		cancel()
		return term{}, err
	}
	// Replays are rare operator actions: polling the one small replay stream
	// is far cheaper than a second subscription that reads the whole log.
	replay := make(chan eventstore.RecordedEvent)
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		s.pollReplay(ctx, replayFrom, replay)
	}()
	s.acked.Store(uint64(from))
	t := term{done: make(chan struct{})}
	go func() {
		defer close(t.done)
		defer func() { <-polled }()
		defer cancel()
		s.deliver(ctx, out, main, replay, from, replayFrom)
	}()
	return t, nil
}

// quietGap is how far a checkpoint must move past events the consumer
// never saw before it is saved on a tick (see deliver).
const quietGap = 10000

// replayPoll is how often the replay stream is looked at.
const replayPoll = 250 * time.Millisecond

// pollReplay sends the events of the consumer's replay stream that are after
// the replay checkpoint, in order, until ctx ends.
func (s *Subscriber) pollReplay(ctx context.Context, after eventstore.Position, out chan<- eventstore.RecordedEvent) {
	next := uint64(0)
	tick := time.NewTicker(replayPoll)
	defer tick.Stop()
	for {
		evs, err := s.store.ReadStream(ctx, ReplayStream(s.consumer), next, eventstore.Forwards, 100)
		if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) && ctx.Err() == nil {
			s.logger.Warn("reading the replay stream failed", zap.Error(err))
		}
		for _, ev := range evs {
			next = ev.Revision + 1
			if ev.Position <= after {
				continue
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			case <-s.closing:
				return
			}
		}
		if len(evs) == 100 {
			continue
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		case <-s.closing:
			return
		}
	}
}

// deliver is the consumer's loop: one message in flight at a time.
func (s *Subscriber) deliver(ctx context.Context, out chan<- *message.Message, main eventstore.Subscription, replay <-chan eventstore.RecordedEvent, from, replayFrom eventstore.Position) {
	var replayAcked atomic.Uint64
	replayAcked.Store(uint64(replayFrom))
	saved, savedReplay := from, replayFrom
	// delivered is the last position of an event handed to the consumer.
	// A checkpoint that only passes events the filter left out is saved
	// when it has moved far (quietGap) or when the term ends: with
	// checkpoints kept in the store (checkpoint.InStore), each save is an
	// event that moves every consumer's filtered-out position again, and
	// saving for that alone would never stop.
	delivered := from
	save := func(final bool) {
		p := eventstore.Position(s.acked.Load())
		if p != saved && (final || delivered > saved || p-saved >= quietGap) {
			if err := s.cps.Save(context.WithoutCancel(ctx), s.consumer, p); err != nil {
				s.logger.Error("saving checkpoint failed", zap.Error(err))
				return
			}
			saved = p
		}
		if p := eventstore.Position(replayAcked.Load()); p != savedReplay {
			if err := s.cps.Save(context.WithoutCancel(ctx), replayConsumer(s.consumer), p); err != nil {
				s.logger.Error("saving replay checkpoint failed", zap.Error(err))
				return
			}
			savedReplay = p
		}
	}
	defer save(true)
	tick := time.NewTicker(s.flush)
	defer tick.Stop()
	mainC := main.Messages()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			return
		case <-tick.C:
			save(false)
		case m, ok := <-mainC:
			if !ok {
				s.ended(main)
				return
			}
			switch {
			case m.Event != nil:
				if !s.send(ctx, out, m.Event) {
					return
				}
				s.acked.Store(uint64(m.Event.Position))
				delivered = m.Event.Position
			case m.CaughtUp:
				// Delivery is one at a time, so all before it is acked.
				s.acked.Store(uint64(m.Checkpoint))
				s.caughtUpAt.Store(uint64(m.Checkpoint) + 1)
			case m.Checkpoint > 0:
				// Everything up to here is handled or filtered out.
				s.acked.Store(uint64(m.Checkpoint))
			}
		case ev := <-replay:
			if !s.send(ctx, out, &ev) {
				return
			}
			replayAcked.Store(uint64(ev.Position))
		}
	}
}

func (s *Subscriber) ended(sub eventstore.Subscription) {
	if err := sub.Err(); err != nil && !errors.Is(err, eventstore.ErrClosed) {
		s.logger.Error("event store subscription ended", zap.Error(err))
	}
}

// send hands one event to the router and waits until it is acked, sending it
// again after a nack. It returns false when the subscriber is stopping.
func (s *Subscriber) send(ctx context.Context, out chan<- *message.Message, ev *eventstore.RecordedEvent) bool {
	for {
		msg := toMessage(ctx, ev)
		select {
		case out <- msg:
		case <-ctx.Done():
			return false
		case <-s.closing:
			return false
		}
		select {
		case <-msg.Acked():
			return true
		case <-msg.Nacked():
			select {
			case <-time.After(s.redelay):
			case <-ctx.Done():
				return false
			case <-s.closing:
				return false
			}
		case <-ctx.Done():
			return false
		case <-s.closing:
			return false
		}
	}
}

// CaughtUp reports whether the consumer has handled everything that was in
// the log when its subscription first reached the head. A consumer standing
// by (another node runs it) has nothing to catch up with here.
func (s *Subscriber) CaughtUp() bool {
	if s.standby.Load() {
		return true
	}
	at := s.caughtUpAt.Load()
	return at > 0 && s.acked.Load() >= at-1
}

// handledUpTo reports whether the consumer has handled the log up to pos,
// or stands by.
func (s *Subscriber) handledUpTo(pos eventstore.Position) bool {
	return s.standby.Load() || eventstore.Position(s.acked.Load()) >= pos
}

// Consumer is the durable name.
func (s *Subscriber) Consumer() string { return s.consumer }

// Close implements message.Subscriber: it stops delivery and writes the
// checkpoint of what was acked.
func (s *Subscriber) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	s.wg.Wait()
	return nil
}
