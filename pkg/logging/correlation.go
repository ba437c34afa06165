package logging

import "context"

type correlationKey struct{}

// WithCorrelationID returns a context that carries id as the correlation ID of
// the work it belongs to (a request, a command, the events it causes).
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the correlation ID carried by ctx, or "" if none.
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}
