// Command benchbeds measures the beds service under contention and then
// proves its invariants held. 32 bed managers (flag -workers) run whole
// cycles — raise a request, accept it, allocate a bed, admit, transfer to
// another bed (often another hospital), discharge, clean both beds — over
// every hospital for -duration, through the app layer, on an embedded store
// in a temporary directory under ./.bench/. Managers pick free beds off the
// same read model, so they collide; a lost race is retried on another bed.
// Then every bed and placement stream is replayed from the log and the
// invariants are checked (package invariants).
//
// It prints one line:
//
//	bench-beds allocations_per_s=<N> conflicts=<N> p99_ms=<x> lost_invariants=<N>
//
// allocations_per_s counts successful allocateBed commands per second;
// conflicts counts allocations and transfers refused because another
// manager took the bed first (CONFLICT or BAD_USER_INPUT naming its state);
// p99_ms is the 99th percentile latency of allocateBed, won or lost;
// lost_invariants is the number of violations found in the log.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"carecoord/pkg/auth"
	"carecoord/pkg/checkpoint"
	"carecoord/pkg/errs"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/locality"
	"carecoord/pkg/nhsnumber"

	"carecoord/services/beds/app"
	"carecoord/services/beds/domain"
	"carecoord/services/beds/invariants"
	"carecoord/services/beds/service"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long the bed managers run cycles")
	workers := flag.Int("workers", 32, "concurrent bed managers")
	keep := flag.Bool("keep", false, "keep the store directory afterwards")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-beds:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench-beds:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*duration, *workers, *keep); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench-beds:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, workers int, keep bool) error {
	if err := os.MkdirAll(".bench", 0o755); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(".bench", "beds-*")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	store, err := embedded.Open(filepath.Join(dir, "eventstore"), embedded.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	bus, err := eventbus.New(eventbus.Config{Store: store, Checkpoints: checkpoint.NewMemory(), Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	svc, err := service.New(service.Deps{Store: store, Bus: bus, Localities: locality.Default()})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- bus.Run(context.Background()) }()
	<-bus.Running()
	defer func() { _ = bus.Close(); <-done }()

	b := &bench{svc: svc, beds: svc.Hospitals.BedIDs(), localities: locality.Default().All()}
	deadline := time.Now().Add(duration)
	start := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := &manager{bench: b, rng: rand.New(rand.NewPCG(uint64(i), 42)),
				ctx: auth.WithViewer(context.Background(), auth.Viewer{Subject: fmt.Sprintf("bench-manager-%d", i), Role: auth.BedManager})}
			for time.Now().Before(deadline) {
				if err := m.cycle(); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errc)
	if err := <-errc; err != nil {
		return err
	}

	report, err := invariants.Check(context.Background(), store)
	if err != nil {
		return err
	}
	for _, v := range report.Violations {
		fmt.Fprintln(os.Stderr, v)
	}
	if report.Admissions == 0 {
		return errors.New("no admissions were made: nothing was measured")
	}
	b.mu.Lock()
	lat := slices.Clone(b.latencies)
	b.mu.Unlock()
	slices.Sort(lat)
	p99 := lat[min(len(lat)-1, len(lat)*99/100)]
	fmt.Printf("bench-beds allocations_per_s=%.0f conflicts=%d p99_ms=%.2f lost_invariants=%d\n",
		float64(b.allocations.Load())/elapsed.Seconds(), b.conflicts.Load(), float64(p99)/float64(time.Millisecond), len(report.Violations))
	fmt.Fprintf(os.Stderr, "bench-beds: %d workers, %s, %s\n", workers, elapsed.Round(time.Millisecond), report)
	return nil
}

type bench struct {
	svc         *service.Service
	beds        []string
	localities  []locality.Locality
	nhs         atomic.Uint64
	allocations atomic.Int64
	conflicts   atomic.Int64
	mu          sync.Mutex
	latencies   []time.Duration
}

// nextNHSNumber hands out valid, unique NHS numbers.
func (b *bench) nextNHSNumber() string {
	for {
		nine := fmt.Sprintf("98%07d", b.nhs.Add(1))
		if c := nhsnumber.CheckDigit(nine); c >= 0 {
			return fmt.Sprintf("%s%d", nine, c)
		}
	}
}

type manager struct {
	*bench
	rng *rand.Rand
	ctx context.Context
}

// lostRace reports a refusal because another manager took the bed first.
func lostRace(err error) bool {
	e, ok := errs.As(err)
	if !ok {
		return false
	}
	switch e.Slug {
	case "bed-not-available", "bed-changed", "concurrent-change":
		return true
	}
	return e.Kind == errs.KindConflict
}

// freeBed picks a bed the read model shows available, other than not.
func (m *manager) freeBed(not string) (string, error) {
	for try := 0; try < 10_000; try++ {
		id := m.beds[m.rng.IntN(len(m.beds))]
		if b, ok := m.svc.Views.Bed(id); ok && id != not && b.Status == domain.Available {
			return id, nil
		}
	}
	return "", errors.New("no free bed found")
}

func (m *manager) cycle() error {
	c := m.svc.App.Commands
	loc := m.localities[m.rng.IntN(len(m.localities))]
	req, err := c.RaiseBedRequest(m.ctx, app.RaiseBedRequestInput{
		Type: domain.StepUp, Source: domain.SourceUCR, Priority: domain.Priorities[m.rng.IntN(3)], ClinicalNeed: "Benchmark patient",
		Patient:  domain.PatientInput{NHSNumber: m.nextNHSNumber(), Verification: "VERIFIED", GivenName: "Bench", FamilyName: "Patient"},
		Locality: string(loc.ID),
	})
	if err != nil {
		return fmt.Errorf("raise: %w", err)
	}
	if _, err := c.DecideBedRequest(m.ctx, app.DecideBedRequestInput{BedRequestID: req.ID, Decision: app.Accept}); err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	var stayID, bedID string
	for stayID == "" {
		if bedID, err = m.freeBed(""); err != nil {
			return err
		}
		t0 := time.Now()
		stay, err := c.AllocateBed(m.ctx, app.AllocateBedInput{BedRequestID: req.ID, BedID: bedID})
		m.mu.Lock()
		m.latencies = append(m.latencies, time.Since(t0))
		m.mu.Unlock()
		switch {
		case err == nil:
			m.allocations.Add(1)
			stayID = stay.ID
		case lostRace(err):
			m.conflicts.Add(1)
		default:
			return fmt.Errorf("allocate: %w", err)
		}
	}
	if _, err := c.AdmitPatient(m.ctx, app.AdmitPatientInput{StayID: stayID}); err != nil {
		return fmt.Errorf("admit: %w", err)
	}
	from := bedID
	for {
		to, err := m.freeBed(from)
		if err != nil {
			return err
		}
		_, err = c.TransferPatient(m.ctx, app.TransferPatientInput{StayID: stayID, ToBedID: to, Reason: domain.TransferCapacityBalancing})
		if err == nil {
			bedID = to
			break
		}
		if !lostRace(err) {
			return fmt.Errorf("transfer: %w", err)
		}
		m.conflicts.Add(1)
	}
	if _, err := c.MarkBedClean(m.ctx, app.MarkBedCleanInput{BedID: from}); err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	d := app.DischargePatientInput{StayID: stayID, Pathway: domain.Pathways[m.rng.IntN(4)], Destination: "Home"}
	if _, err := c.DischargePatient(m.ctx, d); err != nil {
		return fmt.Errorf("discharge: %w", err)
	}
	if _, err := c.MarkBedClean(m.ctx, app.MarkBedCleanInput{BedID: bedID}); err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	return nil
}
