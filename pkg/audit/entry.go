package audit

import (
	"strconv"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
)

// EventType is the type of the audit events. Never rename or reuse it.
const EventType = "audit.PatientRecordAccessed.v1"

// StreamPrefix starts the names of the audit streams, one per (UTC) day. It
// starts with eventstore.SystemStreamPrefix, so that subscriptions to
// domain events never see audit events.
const StreamPrefix = eventstore.SystemStreamPrefix + "audit-"

// Stream is the audit stream of the day of at (UTC): "$audit-20261123".
func Stream(at time.Time) string { return StreamPrefix + at.UTC().Format("20060102") }

// Entry is one audited request: the payload of an audit event.
type Entry struct {
	// RequestID identifies the request (one entry per request); the event
	// ID derives from it.
	RequestID string `json:"requestId"`
	// CorrelationID is the request's correlation ID, as the logs show it.
	CorrelationID string `json:"correlationId,omitempty"`
	// Subject is the user's ID; Name their display name.
	Subject      string `json:"subject"`
	Name         string `json:"name,omitempty"`
	Role         string `json:"role"`
	Organisation string `json:"organisation,omitempty"`
	// Operation is the GraphQL operation name, or the endpoint when the
	// request named none.
	Operation string `json:"operation"`
	Endpoint  string `json:"endpoint,omitempty"`
	Kind      Kind   `json:"kind"`
	// NHSNumbers are the patients whose identifiable data the request
	// returned or changed.
	NHSNumbers []string  `json:"nhsNumbers"`
	At         time.Time `json:"at"`
	// BreakGlass flags access outside the user's usual reach, for review;
	// BreakGlassReason is the reason the user gave.
	BreakGlass       bool   `json:"breakGlass"`
	BreakGlassReason string `json:"breakGlassReason,omitempty"`
}

// EventType names the event (eventbus.Event).
func (Entry) EventType() string { return EventType }

// eventID is the ID of part n of a request's entry: the same request always
// gives the same IDs, so that a retried append writes nothing twice.
func eventID(requestID string, part int) uuid.UUID {
	if part == 0 {
		return eventstore.DeterministicID("audit", requestID)
	}
	return eventstore.DeterministicID("audit", requestID, strconv.Itoa(part))
}
