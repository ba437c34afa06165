package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"carecoord/pkg/logging"
)

// healthz says the process is alive and serving HTTP; it checks nothing else,
// so that an orchestrator restarts the process only when it is truly stuck.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

type readiness struct {
	Status  string   `json:"status"`
	Failing []string `json:"failing,omitempty"`
}

// readyz runs every check concurrently and answers 200 when all pass, else
// 503 naming the failing checks.
func readyz(checks []Check, timeout time.Duration, logger *zap.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		errs := make([]error, len(checks))
		var wg sync.WaitGroup
		for i, c := range checks {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(r.Context(), timeout)
				defer cancel()
				errs[i] = runCheck(ctx, c)
			})
		}
		wg.Wait()

		body := readiness{Status: "ready"}
		for i, err := range errs {
			if err != nil {
				body.Failing = append(body.Failing, checks[i].Name)
				logger.Warn("readiness check failed", zap.String("check", checks[i].Name),
					zap.String("correlation_id", logging.CorrelationID(r.Context())), zap.Error(err))
			}
		}
		status := http.StatusOK
		if len(body.Failing) > 0 {
			body.Status = "unavailable"
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	})
}

// runCheck returns the check's error, or ctx's if the check does not return
// in time: a check that ignores its context must not hold the probe.
func runCheck(ctx context.Context, c Check) (err error) {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- errPanic{r}
			}
		}()
		done <- c.Fn(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

type errPanic struct{ v any }

func (e errPanic) Error() string { return fmt.Sprintf("check panicked: %v", e.v) }
