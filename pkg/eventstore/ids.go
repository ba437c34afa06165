package eventstore

import "github.com/google/uuid"

// namespace of carecoord's deterministic event IDs (a fixed random UUID).
var idNamespace = uuid.MustParse("6f1c2b8e-3f57-4b7a-9d3e-2a8f1e0c5d41")

// DeterministicID derives an event ID from its parts, so that a command
// derived from an event (or a retried client command) produces the same IDs
// every time and the store's idempotency makes redelivery harmless.
func DeterministicID(parts ...string) uuid.UUID {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	return uuid.NewSHA1(idNamespace, b)
}
