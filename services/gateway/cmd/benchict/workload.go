package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"carecoord/pkg/auth"
	"carecoord/pkg/benchkit"
	"carecoord/pkg/checkpoint"
	"carecoord/pkg/demo"
	"carecoord/pkg/errs"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/locality"
	caseloadapp "carecoord/services/caseload/app"
	caseloadrm "carecoord/services/caseload/readmodel"
	caseload "carecoord/services/caseload/service"
	referralsapp "carecoord/services/referrals/app"
	referralsdomain "carecoord/services/referrals/domain"
	referralsrm "carecoord/services/referrals/readmodel"
	referrals "carecoord/services/referrals/service"
)

const (
	// episodeWait bounds the wait for the reaction to open the episode.
	episodeWait = 10 * time.Second
	// drainWait bounds the wait, after the clients stop, for every consumer
	// to handle the whole log (so every event's lag is counted).
	drainWait = 30 * time.Second
	// conflictRetries is how often a command that met a concurrent change
	// is tried again (with the same command ID) before the run fails.
	conflictRetries = 5
)

// result is what a run measured.
type result struct {
	clients    int
	elapsed    time.Duration
	lifecycles int64
	calls      latencies
	episodeWts []time.Duration
	conflicts  map[string]int // by command
	lags       map[string][]time.Duration
	handling   map[string][]time.Duration
	failed     map[string]int
	noTime     int
	events     uint64
	stats      embedded.Stats
}

func (r *result) perSecond() float64 { return float64(r.lifecycles) / r.elapsed.Seconds() }

func (r *result) line() string {
	var lags []time.Duration
	for _, v := range r.lags {
		lags = append(lags, v...)
	}
	return fmt.Sprintf("bench-ict referrals_per_s=%.0f p99_ms=%.2f projection_lag_p99_ms=%.2f events_total=%d",
		r.perSecond(), benchkit.Millis(benchkit.Percentile(r.calls.all(), 99)), benchkit.Millis(benchkit.Percentile(lags, 99)), r.events)
}

func (r *result) report(w io.Writer) {
	fmt.Fprintf(w, "benchict: %d lifecycles in %v with %d clients: %.1f/s\n", r.lifecycles, r.elapsed.Round(time.Millisecond), r.clients, r.perSecond())
	fmt.Fprintf(w, "benchict: command calls %s\n", summary(r.calls.all()))
	writeByKey(w, "command", r.calls)
	fmt.Fprintf(w, "benchict: episode opened by reaction, client wait %s\n", summary(r.episodeWts))
	var lags []time.Duration
	for _, v := range r.lags {
		lags = append(lags, v...)
	}
	fmt.Fprintf(w, "benchict: projection lag %s\n", summary(lags))
	writeByKey(w, "lag", r.lags)
	writeByKey(w, "handler", r.handling)
	for _, k := range sortedKeys(r.failed) {
		fmt.Fprintf(w, "benchict: WARNING: read model %s failed %d handlings (retried by the bus)\n", k, r.failed[k])
	}
	if r.noTime > 0 {
		fmt.Fprintf(w, "benchict: WARNING: %d handled events had no recorded-at time and are not in the lag\n", r.noTime)
	}
	total := 0
	for _, k := range sortedKeys(r.conflicts) {
		fmt.Fprintf(w, "benchict: conflicts (retried) %s: %d\n", k, r.conflicts[k])
		total += r.conflicts[k]
	}
	if total == 0 {
		fmt.Fprintln(w, "benchict: conflicts: none")
	}
	perCommit := 0.0
	if r.stats.Commits > 0 {
		perCommit = float64(r.stats.EventsWritten) / float64(r.stats.Commits)
	}
	fmt.Fprintf(w, "benchict: store: %d events, %d appends, %d commits (%d fsyncs), %.2f events per commit, %.0f fsyncs/s\n",
		r.events, r.stats.Appends, r.stats.Commits, r.stats.Fsyncs, perCommit, float64(r.stats.Fsyncs)/r.elapsed.Seconds())
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// runBench builds the two services on one store and bus in dir, runs the
// clients for cfg.duration (each finishes the lifecycle it is in), waits for
// the read models to catch up and closes everything.
func runBench(ctx context.Context, cfg config, dir string, stderr io.Writer) (res *result, err error) {
	zcfg := zap.NewProductionConfig()
	zcfg.Level = zap.NewAtomicLevelAt(zap.WarnLevel)
	zcfg.OutputPaths, zcfg.ErrorOutputPaths = []string{"stderr"}, []string{"stderr"}
	logger, err := zcfg.Build()
	if err != nil {
		return nil, err
	}
	defer func() { _ = logger.Sync() }()

	store, err := embedded.Open(filepath.Join(dir, "eventstore"), embedded.Options{})
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, store.Close()) }()

	lag := newLagRecorder(referralsrm.ConsumerName, caseloadrm.Name)
	bus, err := eventbus.New(eventbus.Config{Store: store, Checkpoints: checkpoint.NewMemory(), Logger: logger.Named("eventbus"), Observe: lag.observe})
	if err != nil {
		return nil, err
	}
	reg := locality.Default()
	ref, err := referrals.New(referrals.Deps{Store: store, Bus: bus, Localities: reg, Logger: logger.Named("referrals")})
	if err != nil {
		return nil, err
	}
	cl, err := caseload.New(caseload.Deps{Store: store, Bus: bus, Localities: reg, Logger: logger.Named("caseload")})
	if err != nil {
		return nil, err
	}
	running := make(chan error, 1)
	go func() { running <- bus.Run(context.WithoutCancel(ctx)) }()
	select {
	case <-bus.Running():
	case err := <-running:
		return nil, fmt.Errorf("event bus: %w", err)
	case <-time.After(10 * time.Second):
		return nil, errors.New("event bus did not start in 10s")
	}
	defer func() { err = errors.Join(err, bus.Close(), <-running) }()

	w := &workload{
		ref: ref.App, cl: cl.App, rm: cl.ReadModel,
		people: demo.NewPeople(uint64(time.Now().UnixNano()), reg, time.Now()),
		run:    fmt.Sprintf("%x", time.Now().UnixNano()),
	}
	clients := make([]*client, cfg.clients)
	for i := range clients {
		clients[i] = &client{w: w, n: i, calls: latencies{}, conflicts: map[string]int{}}
	}
	start := time.Now()
	deadline := start.Add(cfg.duration)
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { c.loop(ctx, deadline) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := w.failure(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted: %w", err)
	}

	// Let every consumer handle the whole log, so that every event's lag
	// is counted (and nothing is in flight when the bus closes).
	last := store.LastPosition()
	drainBy := time.Now().Add(drainWait)
	for !bus.HandledUpTo(last) {
		if time.Now().After(drainBy) {
			return nil, fmt.Errorf("the consumers did not handle the log up to %d within %v of the clients stopping", last, drainWait)
		}
		time.Sleep(5 * time.Millisecond)
	}

	res = &result{clients: cfg.clients, elapsed: elapsed, calls: latencies{}, conflicts: map[string]int{},
		events: uint64(store.LastPosition()), stats: store.Stats()}
	for _, c := range clients {
		res.lifecycles += c.done
		res.calls.merge(c.calls)
		res.episodeWts = append(res.episodeWts, c.episodeWts...)
		for k, v := range c.conflicts {
			res.conflicts[k] += v
		}
	}
	res.lags, res.handling, res.failed, res.noTime = lag.snapshot()
	if res.lifecycles == 0 {
		return nil, errors.New("no lifecycle completed")
	}
	if len(res.lags[referralsrm.ConsumerName]) == 0 || len(res.lags[caseloadrm.Name]) == 0 {
		return nil, fmt.Errorf("no projection lag observed for one of the read models (saw %v)", slicesKeys(res.lags))
	}
	return res, nil
}

func slicesKeys(m map[string][]time.Duration) []string {
	keys := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// workload is what the clients share.
type workload struct {
	ref *referralsapp.Application
	cl  *caseloadapp.Application
	rm  *caseloadrm.Caseload
	run string // makes command IDs unique to the run

	peopleMu sync.Mutex
	people   *demo.People // not safe for concurrent use
	seq      atomic.Int64 // lifecycles started, for the UCR/routine mix

	stopped atomic.Bool
	errMu   sync.Mutex
	err     error
}

func (w *workload) person() demo.Person {
	w.peopleMu.Lock()
	defer w.peopleMu.Unlock()
	return w.people.Any()
}

// fail records the first fatal error and stops every client.
func (w *workload) fail(err error) {
	w.errMu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.errMu.Unlock()
	w.stopped.Store(true)
}

func (w *workload) failure() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

// client runs one lifecycle at a time, as an admin.
type client struct {
	w          *workload
	n          int
	done       int64
	calls      latencies
	episodeWts []time.Duration
	conflicts  map[string]int
}

func (c *client) loop(ctx context.Context, deadline time.Time) {
	viewer := auth.Viewer{Subject: fmt.Sprintf("bench-ict-client-%d", c.n), Name: fmt.Sprintf("Bench client %d", c.n), Role: auth.Admin}
	// Commands run on a context that the interrupt does not cancel: a
	// lifecycle in flight finishes, and no cancelled call reads as a
	// failure. The loop stops starting new ones.
	cctx := auth.WithViewer(context.WithoutCancel(ctx), viewer)
	for i := 0; time.Now().Before(deadline) && ctx.Err() == nil && !c.w.stopped.Load(); i++ {
		if err := c.lifecycle(cctx, i); err != nil {
			c.w.fail(fmt.Errorf("client %d lifecycle %d: %w", c.n, i, err))
			return
		}
		c.done++
	}
}

// call runs one command, timing each attempt; a conflict (the stream
// changed between load and append) is expected under concurrency and
// retried with the same command ID, anything else is returned.
func (c *client) call(name string, f func() error) error {
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := f()
		c.calls.add(name, time.Since(start))
		if err == nil {
			return nil
		}
		if !errs.Is(err, errs.KindConflict) || attempt == conflictRetries {
			return fmt.Errorf("%s: %w", name, err)
		}
		c.conflicts[name]++
	}
}

var reasons = []referralsapp.ReasonInput{
	{SnomedCode: "217082002", Display: "Accidental fall"},
	{SnomedCode: "248279007", Display: "Frailty"},
	{SnomedCode: "2776000", Display: "Delirium"},
	{SnomedCode: "84114007", Display: "Heart failure"},
	{SnomedCode: "68566005", Display: "Urinary tract infectious disease"},
	{SnomedCode: "82971005", Display: "Impaired mobility"},
}

func ptr[T any](v T) *T { return &v }

// lifecycle takes one referral from receipt to a completed visit.
func (c *client) lifecycle(ctx context.Context, i int) error {
	seq := c.w.seq.Add(1)
	p := c.w.person()
	cmd := func(step string) string { return fmt.Sprintf("bench-ict:%s:%d:%d:%s", c.w.run, c.n, i, step) }
	now := time.Now().UTC()

	// About one in three is a UCR 2-hour referral from NHS 111; the rest
	// are routine or 2-day urgent from the GP.
	ucr := seq%3 == 0
	in := referralsapp.ReceiveReferral{
		Patient: referralsapp.PatientInput{
			NHSNumber: ptr(p.NHSNumber.String()), NHSNumberVerification: "VERIFIED",
			GivenName: p.GivenName, FamilyName: p.FamilyName,
			DateOfBirth: ptr(p.DateOfBirth.Format(time.DateOnly)), Postcode: ptr(p.Postcode.String()), GPPractice: ptr(p.Practice),
		},
		Reason:  reasons[seq%int64(len(reasons))],
		Consent: "GIVEN",
	}
	team := "Community team"
	if ucr {
		in.UCR, in.Priority, in.ServiceRequested = true, string(referralsdomain.PriorityUrgent2H), "Urgent Community Response"
		in.Referrer = referralsapp.ReferrerInput{Name: ptr("NHS 111 clinical advisor"), OrganisationODS: ptr("RYA"), Source: string(referralsdomain.SourceNHS111)}
		in.ReceivedAt = now.Add(-20 * time.Minute).Format(time.RFC3339)
		in.RiskFlags = []string{"FALLS"}
		team = "UCR team"
	} else {
		in.Priority = string([]referralsdomain.Priority{referralsdomain.PriorityRoutine, referralsdomain.PriorityUrgent2D}[seq%2])
		in.ServiceRequested = "Integrated Care Team"
		in.Referrer = referralsapp.ReferrerInput{Name: ptr("Dr Shah"), OrganisationODS: ptr(p.Practice), Source: string(referralsdomain.SourceGP)}
		in.ReceivedAt = now.Add(-26 * time.Hour).Format(time.RFC3339)
	}

	rc := c.w.ref.Commands
	var refID string
	if err := c.call("ReceiveReferral", func() error {
		r, err := rc.ReceiveReferral.Handle(ctx, in, cmd("receive"))
		refID = r.ID
		return err
	}); err != nil {
		return err
	}
	if err := c.call("TriageReferral", func() error {
		r, err := rc.TriageReferral.Handle(ctx, referralsapp.TriageReferral{ReferralID: refID, Outcome: "ACCEPT"}, cmd("triage"))
		return expectStatus(err, string(r.Status), string(referralsdomain.StatusWaiting))
	}); err != nil {
		return err
	}
	clinician := fmt.Sprintf("bench-clinician-%d", seq%40)
	if err := c.call("AllocateReferral", func() error {
		r, err := rc.AllocateReferral.Handle(ctx, referralsapp.AllocateReferral{ReferralID: refID, Team: team, ClinicianID: clinician,
			ClinicianName: ptr(fmt.Sprintf("Clinician %d", seq%40))}, cmd("allocate"))
		return expectStatus(err, string(r.Status), string(referralsdomain.StatusAllocated))
	}); err != nil {
		return err
	}
	if err := c.call("RecordFirstContact", func() error {
		r, err := rc.RecordFirstContact.Handle(ctx, referralsapp.RecordFirstContact{ReferralID: refID}, cmd("contact"))
		return expectStatus(err, string(r.Status), string(referralsdomain.StatusFirstContact))
	}); err != nil {
		return err
	}

	// The acceptance opens the episode through caseload's reaction.
	episodeID := caseloadapp.EpisodeIDForReferral(refID)
	waitStart := time.Now()
	wctx, cancel := context.WithTimeout(ctx, episodeWait)
	err := c.w.rm.WaitForEpisode(wctx, episodeID, 0)
	cancel()
	if err != nil {
		return fmt.Errorf("the episode of referral %s did not appear in caseload's read model within %v: %w", refID, episodeWait, err)
	}
	ep, ok, err := c.w.cl.Queries.Episode.Handle(ctx, episodeID)
	if err != nil || !ok {
		return fmt.Errorf("episode query: found %v: %w", ok, err)
	}
	c.episodeWts = append(c.episodeWts, time.Since(waitStart))
	if ep.ReferralID != refID || ep.Status != "AWAITING_ALLOCATION" {
		return fmt.Errorf("episode %s: referral %s status %s, want referral %s AWAITING_ALLOCATION", episodeID, ep.ReferralID, ep.Status, refID)
	}

	cc := c.w.cl.Commands
	if err := c.call("AssignKeyworker", func() error {
		ep, err := cc.AssignKeyworker.Handle(ctx, cmd("keyworker"), caseloadapp.AssignKeyworker{EpisodeID: episodeID,
			KeyworkerID: clinician, KeyworkerName: fmt.Sprintf("Clinician %d", seq%40)})
		return expectStatus(err, ep.Status, "ALLOCATED")
	}); err != nil {
		return err
	}
	// Two one-off visits in the coming week: today (made now) and a
	// review in two to five days.
	var today string
	if err := c.call("ScheduleVisit", func() error {
		vs, _, err := cc.ScheduleVisit.Handle(ctx, cmd("visit-1"), caseloadapp.ScheduleVisit{EpisodeID: episodeID,
			PlannedAt: now.Truncate(time.Minute).Format(time.RFC3339), DurationMinutes: 45, Purpose: "ASSESSMENT"})
		if err == nil && len(vs) != 1 {
			return fmt.Errorf("scheduled %d visits, want 1", len(vs))
		}
		if err == nil {
			today = vs[0].ID
		}
		return err
	}); err != nil {
		return err
	}
	if err := c.call("ScheduleVisit", func() error {
		later := now.Add(time.Duration(2+seq%4) * 24 * time.Hour).Truncate(time.Minute)
		vs, _, err := cc.ScheduleVisit.Handle(ctx, cmd("visit-2"), caseloadapp.ScheduleVisit{EpisodeID: episodeID,
			PlannedAt: later.Format(time.RFC3339), DurationMinutes: 30, Purpose: "REVIEW"})
		if err == nil && len(vs) != 1 {
			return fmt.Errorf("scheduled %d visits, want 1", len(vs))
		}
		return err
	}); err != nil {
		return err
	}
	return c.call("RecordVisitOutcome", func() error {
		v, _, err := cc.RecordVisitOutcome.Handle(ctx, cmd("outcome"), caseloadapp.RecordVisitOutcome{EpisodeID: episodeID,
			VisitID: today, Outcome: "COMPLETED"})
		return expectStatus(err, v.Status, "COMPLETED")
	})
}

// expectStatus passes err on, or checks that the command's view shows the
// status it should have led to.
func expectStatus(err error, got, want string) error {
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("status %s after the command, want %s", got, want)
	}
	return nil
}
