package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"carecoord/pkg/auth"
	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/locality"
	beds "carecoord/services/beds/service"
	caseload "carecoord/services/caseload/service"
	falls "carecoord/services/falls/service"
	referrals "carecoord/services/referrals/service"
)

// baseline is the four services built in process on a data directory, with
// a plain JSON handler over their app-layer queries.
type baseline struct {
	store  *embedded.Store
	cps    *checkpoint.Local
	bus    *eventbus.Bus
	busErr chan error
	ran    bool // the bus's Run was started
	srv    *http.Server
	url    string
}

// startBaseline opens dataDir as `carecoord serve` would (store, persisted
// checkpoints, the four services on one bus), waits until the read models
// have caught up and serves the plain handler on a loopback port.
func startBaseline(ctx context.Context, dataDir string, logger *zap.Logger) (b *baseline, err error) {
	b = &baseline{busErr: make(chan error, 1)}
	defer func() {
		if err != nil {
			err = errors.Join(err, b.close())
			b = nil
		}
	}()
	if b.store, err = embedded.Open(filepath.Join(dataDir, "eventstore"), embedded.Options{}); err != nil {
		return b, err
	}
	if b.cps, err = checkpoint.Open(filepath.Join(dataDir, "local", "checkpoints")); err != nil {
		return b, err
	}
	if b.bus, err = eventbus.New(eventbus.Config{Store: b.store, Checkpoints: b.cps, Logger: logger.Named("eventbus")}); err != nil {
		return b, err
	}
	reg := locality.Default()
	ref, err := referrals.New(referrals.Deps{Store: b.store, Bus: b.bus, Localities: reg, Logger: logger.Named("referrals")})
	if err != nil {
		return b, err
	}
	cl, err := caseload.New(caseload.Deps{Store: b.store, Bus: b.bus, Localities: reg, Logger: logger.Named("caseload")})
	if err != nil {
		return b, err
	}
	bd, err := beds.New(beds.Deps{Store: b.store, Bus: b.bus, Localities: reg, Logger: logger.Named("beds")})
	if err != nil {
		return b, err
	}
	fl, err := falls.New(falls.Deps{Store: b.store, Bus: b.bus, Localities: reg, Logger: logger.Named("falls")})
	if err != nil {
		return b, err
	}
	b.ran = true
	go func() { b.busErr <- b.bus.Run(context.WithoutCancel(ctx)) }()
	select {
	case <-b.bus.Running():
	case err := <-b.busErr:
		b.busErr <- err
		return b, fmt.Errorf("event bus: %w", err)
	case <-time.After(10 * time.Second):
		return b, errors.New("event bus did not start in 10s")
	}
	waitBy := time.Now().Add(60 * time.Second)
	for b.bus.CaughtUp() != nil {
		if time.Now().After(waitBy) {
			return b, fmt.Errorf("read models not caught up in 60s: %w", b.bus.CaughtUp())
		}
		time.Sleep(10 * time.Millisecond)
	}

	devKey, err := auth.LoadOrCreateDevKey(filepath.Join(dataDir, "dev-signing-key"))
	if err != nil {
		return b, fmt.Errorf("signing key: %w", err)
	}
	loc, ok := reg.Get(locality.ID(localityID))
	if !ok {
		return b, fmt.Errorf("unknown locality %q", localityID)
	}
	view := func(ctx context.Context) (map[string]any, error) {
		perf, err := ref.App.Queries.Performance.Handle(ctx, localityID)
		if err != nil {
			return nil, err
		}
		refs, err := ref.App.Queries.LocalityReferrals.Handle(ctx, localityID, nil)
		if err != nil {
			return nil, err
		}
		clSum, err := cl.App.Queries.LocalitySummary.Handle(ctx, localityID)
		if err != nil {
			return nil, err
		}
		loads, err := cl.App.Queries.KeyworkerCaseload.Handle(ctx, localityID)
		if err != nil {
			return nil, err
		}
		bdSum, err := bd.App.Queries.LocalitySummary(ctx, localityID)
		if err != nil {
			return nil, err
		}
		stays, err := bd.App.Queries.PatientsInBeds(ctx, localityID)
		if err != nil {
			return nil, err
		}
		flSum, err := fl.App.Queries.LocalitySummary(ctx, localityID)
		if err != nil {
			return nil, err
		}
		open, err := fl.App.Queries.OpenFalls(ctx, localityID)
		if err != nil {
			return nil, err
		}
		// The same selection as the GraphQL query.
		var ucr any
		if v, ok := perf.ThisMonth.Within2hPercent(); ok {
			ucr = v
		}
		referralRows := make([]map[string]any, len(refs))
		for i, r := range refs {
			referralRows[i] = map[string]any{"id": r.ID, "status": r.Status, "priority": r.Priority, "receivedAt": r.ReceivedAt.UTC().Format(time.RFC3339)}
		}
		loadRows := make([]map[string]any, len(loads))
		for i, l := range loads {
			var kw any
			if l.Keyworker != nil {
				kw = map[string]any{"id": l.Keyworker.ID, "name": l.Keyworker.Name}
			}
			loadRows[i] = map[string]any{"keyworker": kw, "episodes": l.Episodes, "visitsDueToday": l.VisitsDueToday, "visitsOverdue": l.VisitsOverdue, "reviewsOverdue": l.ReviewsOverdue}
		}
		stayRows := make([]map[string]any, len(stays))
		for i, s := range stays {
			stayRows[i] = map[string]any{"id": s.ID, "hospitalId": s.Bed.HospitalID, "bedId": s.Bed.BedID}
		}
		fallRows := make([]map[string]any, len(open))
		for i, f := range open {
			var mins any
			if f.TimeOnFloorKnown {
				mins = int(f.TimeOnFloor.Minutes())
			}
			fallRows[i] = map[string]any{"id": f.ID, "status": f.Status, "timeOnFloorMinutes": mins}
		}
		return map[string]any{
			"name": loc.Name,
			"summary": map[string]any{
				"referralsReceived":      perf.ThisMonth.ReferralsReceived,
				"ucrSeenWithin2hPercent": ucr,
				"caseloadSize":           clSum.Size,
				"caseloadVisitsOverdue":  clSum.VisitsOverdue,
				"bedsOccupied":           bdSum.BedsOccupied,
				"openFalls":              flSum.OpenFalls,
			},
			"referrals":         referralRows,
			"keyworkerCaseload": loadRows,
			"patientsInBeds":    stayRows,
			"openFalls":         fallRows,
		}, nil
	}
	handler := auth.Middleware(auth.Cached(devKey.Verifier()), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := view(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return b, err
	}
	b.srv = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.srv.Serve(ln) }()
	b.url = "http://" + ln.Addr().String() + "/locality"
	return b, nil
}

// close stops the server, the bus and the store, in that order.
func (b *baseline) close() error {
	var errs []error
	if b.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, b.srv.Shutdown(ctx))
		cancel()
	}
	if b.bus != nil && b.ran {
		errs = append(errs, b.bus.Close())
		select {
		case err := <-b.busErr:
			if !errors.Is(err, context.Canceled) {
				errs = append(errs, err)
			}
		case <-time.After(10 * time.Second):
			errs = append(errs, errors.New("event bus did not stop in 10s"))
		}
	}
	if b.cps != nil {
		errs = append(errs, b.cps.Close())
	}
	if b.store != nil {
		errs = append(errs, b.store.Close())
	}
	return errors.Join(errs...)
}
