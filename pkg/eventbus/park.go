package eventbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
)

// ParkedEventType is the type of the events on a parked stream.
const ParkedEventType = "eventbus.EventParked.v1"

// ParkedStream is where a handler's events that kept failing are kept.
func ParkedStream(handler string) string { return "$parked-" + handler }

// parkingPublisher is the watermill Publisher behind the poison-queue
// middleware: it appends each failed message to its handler's parked stream,
// with the message's metadata (the original event's facts, the handler and
// the reason) and payload.
type parkingPublisher struct {
	store eventstore.Store
}

func (p parkingPublisher) Publish(_ string, msgs ...*message.Message) error {
	for _, msg := range msgs {
		handler := msg.Metadata.Get(middleware.PoisonedHandlerKey)
		extra := make(map[string]string, len(msg.Metadata)+1)
		for k, v := range msg.Metadata {
			extra[k] = v
		}
		extra["parked_at"] = time.Now().UTC().Format(time.RFC3339Nano)
		_, err := p.store.Append(context.Background(), ParkedStream(handler), eventstore.Any, eventstore.EventData{
			ID:   uuid.New(),
			Type: ParkedEventType,
			Data: msg.Payload,
			Metadata: eventstore.Metadata{
				CorrelationID: msg.Metadata.Get(KeyCorrelationID),
				CausationID:   msg.Metadata.Get(KeyEventID),
				Extra:         extra,
			},
		})
		if err != nil {
			return fmt.Errorf("parking a failed event for %s: %w", handler, err)
		}
	}
	return nil
}

func (parkingPublisher) Close() error { return nil }

// ParkedEvent describes one parked event. Reason is the handler's error text,
// which carecoord's errors keep free of patient data.
type ParkedEvent struct {
	ParkedID       uuid.UUID
	ParkedAt       time.Time
	Handler        string
	Reason         string
	EventID        string
	EventType      string
	Stream         string
	Revision       string
	Position       string
	ParkedRevision uint64
}

// Parked lists the events parked for a handler.
func Parked(ctx context.Context, store eventstore.Store, handler string) ([]ParkedEvent, error) {
	evs, err := store.ReadStream(ctx, ParkedStream(handler), 0, eventstore.Forwards, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]ParkedEvent, 0, len(evs))
	for _, e := range evs {
		x := e.Metadata.Extra
		out = append(out, ParkedEvent{
			ParkedID: e.ID, ParkedAt: e.RecordedAt, Handler: x[middleware.PoisonedHandlerKey],
			Reason: x[middleware.ReasonForPoisonedKey], EventID: x[KeyEventID], EventType: x[KeyName],
			Stream: x[KeyStream], Revision: x[KeyRevision], Position: x[KeyPosition], ParkedRevision: e.Revision,
		})
	}
	return out, nil
}

// Replay puts a handler's parked events from revision from of its parked
// stream back on its replay stream, where its subscriber delivers them again
// with the original event's facts. Each parked event is replayed at most once
// (the replay's ID derives from the parked event's); one that fails again is
// parked again, as a new parked event, and can be replayed again.
func Replay(ctx context.Context, store eventstore.Store, handler string, from uint64) (int, error) {
	evs, err := store.ReadStream(ctx, ParkedStream(handler), from, eventstore.Forwards, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	for _, e := range evs {
		extra := make(map[string]string, len(e.Metadata.Extra))
		for k, v := range e.Metadata.Extra {
			switch k {
			case middleware.ReasonForPoisonedKey, middleware.PoisonedHandlerKey, middleware.PoisonedSubscriberKey, middleware.PoisonedTopicKey, "parked_at":
			default:
				extra[k] = v
			}
		}
		_, err := store.Append(ctx, ReplayStream(handler), eventstore.Any, eventstore.EventData{
			ID:   eventstore.DeterministicID("replay", handler, e.ID.String()),
			Type: e.Metadata.Extra[KeyName],
			Data: e.Data,
			Metadata: eventstore.Metadata{
				CorrelationID: e.Metadata.CorrelationID,
				CausationID:   e.ID.String(),
				Extra:         extra,
			},
		})
		if err != nil {
			return 0, fmt.Errorf("replaying parked event %s: %w", e.ID, err)
		}
	}
	return len(evs), nil
}
