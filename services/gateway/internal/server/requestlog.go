package server

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"carecoord/pkg/logging"
)

// CorrelationHeader carries a request's correlation ID in and out.
const CorrelationHeader = "X-Correlation-ID"

// logRequests writes one log line per request and gives each request a
// correlation ID (the caller's, when it sent a usable one), which it puts in
// the request context and echoes in the response.
//
// The line holds the path but never the query string or body: GraphQL GET
// parameters and POST bodies can hold patient data.
func logRequests(logger *zap.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(CorrelationHeader)
		if !validCorrelationID(id) {
			id = uuid.NewString()
		}
		w.Header().Set(CorrelationHeader, id)
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(logging.WithCorrelationID(r.Context(), id)))
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		logger.Info("http request",
			zap.String("method", r.Method),
			zap.String("path", r.URL.Path),
			zap.Int("status", rec.status),
			zap.Duration("duration", time.Since(start)),
			zap.Int64("bytes", rec.bytes),
			zap.String("correlation_id", id),
		)
	})
}

// validCorrelationID accepts what tracing systems send (UUIDs, hex, base64url
// and the like) and nothing else, so that a client cannot write arbitrary
// text, patient details included, into the logs and the event metadata.
func validCorrelationID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// recorder notes the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	// Informational (1xx) responses precede the real one.
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flushing,
// deadlines, and hijacking for WebSockets later).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
