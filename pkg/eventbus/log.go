package eventbus

import (
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"go.uber.org/zap"
)

// logHandled writes one line per handled message: which consumer, which event
// (type, position, ID), the correlation ID, how long it took, and the error.
// Never the payload: it can hold patient data. A read model's successes are
// debug detail (quiet reports which consumers are read models): every node
// applies every event to each of them, and the audit trail's own read
// model would otherwise log a line for every read of a patient's record.
// Process managers' successes, and every failure, are logged.
func logHandled(logger *zap.Logger, observe func(Handled), quiet func(consumer string) bool) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			start := time.Now()
			out, err := h(msg)
			if observe != nil {
				recorded, _ := time.Parse(time.RFC3339Nano, msg.Metadata.Get(KeyRecordedAt))
				now := time.Now()
				observe(Handled{Consumer: message.HandlerNameFromCtx(msg.Context()), EventType: msg.Metadata.Get(KeyName),
					RecordedAt: recorded, HandledAt: now, Duration: now.Sub(start), Err: err})
			}
			fields := []zap.Field{
				zap.String("consumer", message.HandlerNameFromCtx(msg.Context())),
				zap.String("event_type", msg.Metadata.Get(KeyName)),
				zap.String("event_id", msg.UUID),
				zap.String("position", msg.Metadata.Get(KeyPosition)),
				zap.String("correlation_id", msg.Metadata.Get(KeyCorrelationID)),
				zap.Duration("duration", time.Since(start)),
			}
			switch {
			case err != nil:
				logger.Error("event handling failed", append(fields, zap.Error(err))...)
			case quiet(message.HandlerNameFromCtx(msg.Context())):
				logger.Debug("event handled", fields...)
			default:
				logger.Info("event handled", fields...)
			}
			return out, err
		}
	}
}

// watermillLogger adapts zap to watermill's logger, at one level lower than
// watermill asks: its info lines (router starting, subscriber closed) are
// debug detail for carecoord's operators.
type watermillLogger struct{ l *zap.Logger }

func newWatermillLogger(l *zap.Logger) watermill.LoggerAdapter {
	return watermillLogger{l: l.Named("watermill")}
}

func fields(f watermill.LogFields) []zap.Field {
	out := make([]zap.Field, 0, len(f))
	for k, v := range f {
		out = append(out, zap.Any(k, v))
	}
	return out
}

func (w watermillLogger) Error(msg string, err error, f watermill.LogFields) {
	w.l.Error(msg, append(fields(f), zap.Error(err))...)
}
func (w watermillLogger) Info(msg string, f watermill.LogFields)  { w.l.Debug(msg, fields(f)...) }
func (w watermillLogger) Debug(msg string, f watermill.LogFields) { w.l.Debug(msg, fields(f)...) }
func (w watermillLogger) Trace(msg string, f watermill.LogFields) {}
func (w watermillLogger) With(f watermill.LogFields) watermill.LoggerAdapter {
	return watermillLogger{l: w.l.With(fields(f)...)}
}
