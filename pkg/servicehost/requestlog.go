package servicehost

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"carecoord/pkg/logging"
)

// correlationHeader echoes the correlation ID a request was given, so that a
// caller can find its request in the logs.
const correlationHeader = "X-Correlation-ID"

// logRequests writes one log line per request, under a fresh correlation ID
// that goes into the request context (logging.CorrelationID). The line holds the path, never the query string or the
// body: both can hold patient data. An incoming correlation ID is not trusted,
// for the same reason.
func logRequests(logger *zap.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start, id := time.Now(), uuid.NewString()
		w.Header().Set(correlationHeader, id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(logging.WithCorrelationID(r.Context(), id)))
		logger.Info("http request", zap.String("method", r.Method), zap.String("path", r.URL.Path),
			zap.Int("status", sw.status), zap.Duration("duration", time.Since(start)), zap.String("correlation_id", id))
	})
}

// statusWriter notes the status of a response (200 unless set).
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wroteHeader && code >= 200 {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
