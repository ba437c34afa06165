// Package eventbus carries events from the event store to handlers over
// watermill. Each handler group is a durable consumer: a Subscriber resumes
// from its checkpoint, catches up and stays live. The router built here gives
// every handler panic recovery, retry with exponential backoff, a parked
// stream for events that keep failing (see Replay), correlation and causation
// IDs in the handler's context (see DerivedMetadata), and one log line per
// handled message.
//
// Handlers are watermill cqrs group event handlers, typed per event and
// JSON-marshalled; an event type names itself with an EventType method.
//
// It imports pkg/eventstore and pkg/checkpoint.
package eventbus

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"go.uber.org/zap"

	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventstore"
)

// Event is implemented by every event type a handler takes: its type string,
// "<service>.<EventName>.v<N>".
type Event interface {
	EventType() string
}

// Marshaler is the cqrs marshaler of carecoord's events: JSON, named by
// EventType.
var Marshaler = cqrs.JSONMarshaler{GenerateName: func(v any) string {
	if e, ok := v.(Event); ok {
		return e.EventType()
	}
	return cqrs.FullyQualifiedStructName(v)
}}

// Config configures a Bus.
type Config struct {
	Store       eventstore.Store
	Checkpoints checkpoint.Store
	Logger      *zap.Logger
	// Retries before an event is parked (default 5), with backoff from
	// RetryInterval (default 100ms) doubling up to 5s.
	Retries       int
	RetryInterval time.Duration
	// FlushInterval is how often consumers write checkpoints (default 200ms).
	FlushInterval time.Duration
	// Observe, when set, is told of every handled message: for metrics and
	// for measuring projection lag (handled minus recorded).
	Observe func(Handled)
	// Leadership, when set, runs the durable consumers (AddHandlers: the
	// process managers, whose effects must happen once per cluster) only
	// while the channel it returns says this node leads; projections run
	// everywhere. Checkpoints must then be shared by the nodes
	// (checkpoint.InStore). See SubscriberConfig.Active.
	Leadership func(context.Context) <-chan bool
}

// Handled describes one handled message.
type Handled struct {
	Consumer   string
	EventType  string
	RecordedAt time.Time
	HandledAt  time.Time
	Duration   time.Duration
	Err        error
}

// Bus is a watermill router of carecoord's event handlers.
type Bus struct {
	cfg       Config
	router    *message.Router
	processor *cqrs.EventGroupProcessor

	mu   sync.Mutex
	subs []*Subscriber
	// rebuild names the consumers whose checkpoints are in memory: read
	// models held in memory, rebuilt from the log at every start.
	rebuild map[string]bool
	// streams holds the stream prefixes of consumers that select by stream
	// as well as by type (see AddStreamProjection).
	streams map[string][]string
}

// New builds the router and its middleware.
func New(cfg Config) (*Bus, error) {
	if cfg.Store == nil || cfg.Checkpoints == nil {
		return nil, errors.New("eventbus: a store and a checkpoint store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 5
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 100 * time.Millisecond
	}
	wlog := newWatermillLogger(cfg.Logger)
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 30 * time.Second}, wlog)
	if err != nil {
		return nil, err
	}
	poison, err := middleware.PoisonQueue(parkingPublisher{store: cfg.Store}, "$parked")
	if err != nil {
		return nil, err
	}
	retry := middleware.Retry{
		MaxRetries:      cfg.Retries,
		InitialInterval: cfg.RetryInterval,
		MaxInterval:     5 * time.Second,
		Multiplier:      2,
		Logger:          wlog,
	}
	// The first middleware added is the outermost: log what finally
	// happened, park what retries could not fix, retry, turn panics into
	// errors.
	b := &Bus{cfg: cfg, router: router, rebuild: map[string]bool{}, streams: map[string][]string{}}
	router.AddMiddleware(logHandled(cfg.Logger, cfg.Observe, b.isReadModel), poison, retry.Middleware, middleware.Recoverer)
	b.processor, err = cqrs.NewEventGroupProcessorWithConfig(router, cqrs.EventGroupProcessorConfig{
		GenerateSubscribeTopic: func(p cqrs.EventGroupProcessorGenerateSubscribeTopicParams) (string, error) {
			return p.EventGroupName, nil
		},
		SubscriberConstructor: func(p cqrs.EventGroupProcessorSubscriberConstructorParams) (message.Subscriber, error) {
			return b.subscriber(p.EventGroupName, p.EventGroupHandlers), nil
		},
		// A consumer's filter selects only its types; anything else is a
		// replay of a type it no longer handles, and is skipped.
		AckOnUnknownEvent: true,
		Marshaler:         Marshaler,
		Logger:            wlog,
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Bus) subscriber(consumer string, handlers []cqrs.GroupEventHandler) *Subscriber {
	types := make([]string, 0, len(handlers))
	for _, h := range handlers {
		types = append(types, Marshaler.Name(h.NewEvent()))
	}
	cps := b.cfg.Checkpoints
	b.mu.Lock()
	if b.rebuild[consumer] {
		cps = checkpoint.NewMemory()
	}
	prefixes := b.streams[consumer]
	b.mu.Unlock()
	sc := SubscriberConfig{
		Consumer:      consumer,
		Filter:        eventstore.Filter{EventTypes: types, StreamPrefixes: prefixes},
		Logger:        b.cfg.Logger,
		FlushInterval: b.cfg.FlushInterval,
	}
	if cps == b.cfg.Checkpoints {
		// A durable consumer, a process manager: on the leader alone.
		sc.Active = b.cfg.Leadership
	}
	sub := NewSubscriber(b.cfg.Store, cps, sc)
	b.mu.Lock()
	b.subs = append(b.subs, sub)
	b.mu.Unlock()
	return sub
}

// isReadModel reports whether a consumer is a read model (AddProjection,
// AddStreamProjection) rather than a process manager.
func (b *Bus) isReadModel(consumer string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rebuild[consumer]
}

// AddHandlers registers a durable consumer: a group of handlers that see their
// events in log order, one at a time. The name is the consumer's checkpoint
// key: name it after the reaction ("caseload.OpenEpisodeOnReferralAccepted")
// and never rename it casually.
func (b *Bus) AddHandlers(consumer string, handlers ...cqrs.GroupEventHandler) error {
	return b.processor.AddHandlersGroup(consumer, handlers...)
}

// AddProjection registers a read model held in memory: like AddHandlers, but
// its position is not kept across restarts, so it is rebuilt from the start
// of the log each time the process starts.
func (b *Bus) AddProjection(consumer string, handlers ...cqrs.GroupEventHandler) error {
	b.mu.Lock()
	b.rebuild[consumer] = true
	b.mu.Unlock()
	return b.processor.AddHandlersGroup(consumer, handlers...)
}

// AddStreamProjection is AddProjection for a read model of particular
// streams: its subscription selects by stream prefix as well as by event
// type. It is how a read model sees the store's system streams ("$audit-"),
// which a filter delivers only when one of its prefixes names them.
func (b *Bus) AddStreamProjection(consumer string, streamPrefixes []string, handlers ...cqrs.GroupEventHandler) error {
	if len(streamPrefixes) == 0 {
		return fmt.Errorf("eventbus: %s: a stream projection needs at least one stream prefix", consumer)
	}
	b.mu.Lock()
	b.rebuild[consumer] = true
	b.streams[consumer] = append([]string(nil), streamPrefixes...)
	b.mu.Unlock()
	return b.processor.AddHandlersGroup(consumer, handlers...)
}

// Run runs the router until ctx ends or Close is called.
func (b *Bus) Run(ctx context.Context) error { return b.router.Run(ctx) }

// Running is closed once the router's handlers are running.
func (b *Bus) Running() chan struct{} { return b.router.Running() }

// Close stops taking events, waits for the handlers in flight and writes the
// consumers' checkpoints.
func (b *Bus) Close() error { return b.router.Close() }

// HandledUpTo reports whether every consumer has handled (or passed over)
// the log up to pos: with pos the head of the log, that nothing is left to
// react to.
func (b *Bus) HandledUpTo(pos eventstore.Position) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.subs {
		if !s.handledUpTo(pos) {
			return false
		}
	}
	return true
}

// WaitHandled waits until HandledUpTo(pos), or ctx ends. It looks every
// couple of milliseconds: consumers advance one message at a time, and a
// wake-up for each would cost every message more than the few waiters
// (a subscription's payload, a linearizable read) save.
func (b *Bus) WaitHandled(ctx context.Context, pos eventstore.Position) error {
	if b.HandledUpTo(pos) {
		return nil
	}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !b.HandledUpTo(pos) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// CaughtUp returns nil when every consumer has handled the log as it was when
// the consumer started, or an error naming the consumers still catching up.
func (b *Bus) CaughtUp() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var behind []string
	for _, s := range b.subs {
		if !s.CaughtUp() {
			behind = append(behind, s.Consumer())
		}
	}
	if len(behind) > 0 {
		sort.Strings(behind)
		return fmt.Errorf("catching up: %s", strings.Join(behind, ", "))
	}
	return nil
}
