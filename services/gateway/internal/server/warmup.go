package server

import (
	"net/http"
	"sync/atomic"
)

// warmingUp holds GraphQL requests back with 503 until the read models have
// caught up with the log after a start: a query answered earlier would be
// answered from a partly rebuilt model, silently wrong. Once warm it stays
// warm (and costs one atomic load per request).
type warmingUp struct {
	ready func() error
	warm  atomic.Bool
}

func (g *warmingUp) wrap(h http.Handler) http.Handler {
	if g == nil || g.ready == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.warm.Load() {
			if g.ready() != nil {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"errors":[{"message":"carecoord is starting and its views are catching up with the record: retry in a moment","extensions":{"code":"UNAVAILABLE"}}]}` + "\n"))
				return
			}
			g.warm.Store(true)
		}
		h.ServeHTTP(w, r)
	})
}
