package eventbus

import (
	"context"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"carecoord/pkg/eventstore"
)

// Message metadata keys. "name" is the key watermill's cqrs marshalers read
// the event name from.
const (
	KeyName          = "name"
	KeyEventID       = "event_id"
	KeyStream        = "stream"
	KeyRevision      = "revision"
	KeyPosition      = "position"
	KeyCorrelationID = "correlation_id"
	KeyCausationID   = "causation_id"
	KeyActor         = "actor"
	KeyLocality      = "locality"
	KeyOccurredAt    = "occurred_at"
	KeyRecordedAt    = "recorded_at"
)

// Delivery describes the event a handler is handling. A replayed parked event
// carries the facts of the original, so that idempotency keys derived from
// them are the same the second time.
type Delivery struct {
	EventID       string
	Type          string
	Stream        string
	Revision      uint64
	Position      eventstore.Position
	CorrelationID string
	Actor         string
	Locality      string
}

type deliveryKey struct{}

// DeliveryFrom returns the event being handled, if ctx is a handler's.
func DeliveryFrom(ctx context.Context) (Delivery, bool) {
	d, ok := ctx.Value(deliveryKey{}).(Delivery)
	return d, ok
}

// WithDelivery returns ctx carrying d (for tests of handlers).
func WithDelivery(ctx context.Context, d Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}

// DerivedMetadata is the metadata for an event a handler appends in reaction
// to the one it is handling: the same correlation ID, and the handled event
// as its cause. Outside a handler it returns base unchanged.
func DerivedMetadata(ctx context.Context, base eventstore.Metadata) eventstore.Metadata {
	d, ok := DeliveryFrom(ctx)
	if !ok {
		return base
	}
	base.CorrelationID = d.CorrelationID
	if base.CorrelationID == "" {
		base.CorrelationID = d.EventID
	}
	base.CausationID = d.EventID
	if base.Locality == "" {
		base.Locality = d.Locality
	}
	return base
}

// toMessage turns a recorded event into a watermill message whose payload is
// the event's JSON data.
func toMessage(ctx context.Context, ev *eventstore.RecordedEvent) *message.Message {
	md := message.Metadata{
		KeyName:       ev.Type,
		KeyEventID:    ev.ID.String(),
		KeyStream:     ev.Stream,
		KeyRevision:   strconv.FormatUint(ev.Revision, 10),
		KeyPosition:   strconv.FormatUint(uint64(ev.Position), 10),
		KeyRecordedAt: ev.RecordedAt.UTC().Format(time.RFC3339Nano),
	}
	m := ev.Metadata
	setIf(md, KeyCorrelationID, m.CorrelationID)
	setIf(md, KeyCausationID, m.CausationID)
	setIf(md, KeyActor, m.Actor)
	setIf(md, KeyLocality, m.Locality)
	if !m.OccurredAt.IsZero() {
		md[KeyOccurredAt] = m.OccurredAt.UTC().Format(time.RFC3339Nano)
	}
	// Extra comes last: on a replayed event it restores the original's facts.
	for k, v := range m.Extra {
		md[k] = v
	}
	msg := message.NewMessage(md[KeyEventID], ev.Data)
	msg.Metadata = md
	rev, _ := strconv.ParseUint(md[KeyRevision], 10, 64)
	pos, _ := strconv.ParseUint(md[KeyPosition], 10, 64)
	msg.SetContext(WithDelivery(ctx, Delivery{
		EventID:       md[KeyEventID],
		Type:          md[KeyName],
		Stream:        md[KeyStream],
		Revision:      rev,
		Position:      eventstore.Position(pos),
		CorrelationID: md[KeyCorrelationID],
		Actor:         md[KeyActor],
		Locality:      md[KeyLocality],
	}))
	return msg
}

func setIf(md message.Metadata, k, v string) {
	if v != "" {
		md[k] = v
	}
}
