// Package seed fills the referrals service with demo data through its real
// commands: every locality gets referrals in every state, UCR referrals seen
// within and outside 2 hours and some at risk now, and open referrals spread
// over the waiting-list bands. People are synthetic (pkg/demo).
//
// Running it again on the same store adds nothing: every command has a
// deterministic commandId ("seed:referrals:<n>:<step>"), so a repeat is
// answered with the first result.
//
// It imports the service's app, domain and service packages, pkg/auth,
// pkg/demo and pkg/locality.
package seed

import (
	"context"
	"fmt"
	"sync"
	"time"

	"carecoord/pkg/auth"
	"carecoord/pkg/demo"
	"carecoord/pkg/locality"
	"carecoord/services/referrals/app"
	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/service"
)

// kind is the state a seeded referral is driven to.
type kind int

const (
	received kind = iota
	informationRequested
	waiting
	allocated
	seen
	rejected
	redirected
	withdrawn
	cancelled
	enteredInError
)

// spec is one seeded referral.
type spec struct {
	n          int
	kind       kind
	person     demo.Person
	receivedAt time.Time
	ucr        bool
	priority   domain.Priority
	// contactAfter is how long after receipt the patient was seen (seen).
	contactAfter time.Duration
	reason       app.ReasonInput
	service      string
	referrer     app.ReferrerInput
}

var reasons = []app.ReasonInput{
	{SnomedCode: "217082002", Display: "Accidental fall"},
	{SnomedCode: "248279007", Display: "Frailty"},
	{SnomedCode: "2776000", Display: "Delirium"},
	{SnomedCode: "84114007", Display: "Heart failure"},
	{SnomedCode: "13645005", Display: "Chronic obstructive lung disease"},
	{SnomedCode: "68566005", Display: "Urinary tract infectious disease"},
	{SnomedCode: "82971005", Display: "Impaired mobility"},
	{SnomedCode: "44054006", Display: "Diabetes mellitus type 2"},
	{SnomedCode: "386806002", Display: "Impaired cognition"},
}

var routineServices = []string{"Integrated Care Team", "District Nursing", "Community Therapy", "Falls Prevention"}

var gps = []string{"Dr Shah", "Dr Okafor", "Dr Bennett", "Dr Patel", "Dr Hughes", "Dr Lowe"}

// waits are how long open referrals have waited, one per national band.
var waits = []time.Duration{
	2 * day, 10 * day, 20 * day, 8 * week, 15 * week, 30 * week, 60 * week,
}

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// Run seeds the service as carecoord's system identity.
func Run(ctx context.Context, svc *service.Service, people *demo.People, now time.Time) error {
	ctx = auth.WithViewer(ctx, auth.SystemViewer("seed"))
	now = now.UTC().Truncate(time.Minute)
	var locs []locality.ID
	for _, l := range svc.App.Localities.All() {
		locs = append(locs, l.ID)
	}
	specs := plan(people, locs, now)
	// Localities are independent: seed them side by side, so that their
	// appends share the store's group commits.
	const workers = 4
	jobs := make(chan spec)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				if err := drive(ctx, svc.App, s, now); err != nil {
					errc <- fmt.Errorf("seed referral %d: %w", s.n, err)
					return
				}
			}
		}()
	}
	var err error
feed:
	for _, s := range specs {
		select {
		case jobs <- s:
		case err = <-errc:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return err
	}
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// plan decides every referral up front (the people generator is not safe
// for concurrent use): about twenty per locality.
func plan(people *demo.People, locs []locality.ID, now time.Time) []spec {
	var out []spec
	n := 0
	add := func(person demo.Person, k kind, age time.Duration, ucr bool, prio domain.Priority, contactAfter time.Duration) {
		n++
		s := spec{n: n, kind: k, person: person, receivedAt: now.Add(-age), ucr: ucr, priority: prio, contactAfter: contactAfter}
		s.reason = reasons[n%len(reasons)]
		s.service = routineServices[n%len(routineServices)]
		switch {
		case ucr:
			s.service = "Urgent Community Response"
			s.referrer = []app.ReferrerInput{
				{Name: ptr(gps[n%len(gps)]), OrganisationODS: ptr(person.Practice), Source: string(domain.SourceGP)},
				{Name: ptr("NHS 111 clinical advisor"), OrganisationODS: ptr("RYA"), Source: string(domain.SourceNHS111)},
				{Name: ptr("Paramedic crew"), OrganisationODS: ptr("RYA"), Source: string(domain.SourceAmbulance)},
			}[n%3]
		case n%5 == 0:
			s.referrer = app.ReferrerInput{Name: ptr("Patient's daughter"), Source: string(domain.SourceSelfOrCarer)}
		case n%7 == 0:
			s.referrer = app.ReferrerInput{Name: ptr("Ward discharge coordinator"), OrganisationODS: ptr("RJE"), Source: string(domain.SourceHospitalDischarge)}
		default:
			s.referrer = app.ReferrerInput{Name: ptr(gps[n%len(gps)]), OrganisationODS: ptr(person.Practice), Source: string(domain.SourceGP)}
		}
		out = append(out, s)
	}
	for i, l := range locs {
		p := func() demo.Person { return people.In(l) }
		band := func(k int) time.Duration { return waits[(i+k)%len(waits)] }
		// Awaiting triage: a UCR referral just in, and in every third
		// locality one at risk of breaching; a routine one from days ago.
		add(p(), received, 25*time.Minute, true, domain.PriorityUrgent2H, 0)
		if i%3 == 0 {
			add(p(), received, 100*time.Minute, true, domain.PriorityUrgent2H, 0)
		}
		add(p(), received, 2*day, false, domain.PriorityRoutine, 0)
		add(p(), informationRequested, 5*day, false, domain.PriorityUrgent2D, 0)
		// The waiting list, spread over the bands.
		for k := range 4 {
			add(p(), waiting, band(k), false, []domain.Priority{domain.PriorityUrgent2D, domain.PriorityRoutine}[k%2], 0)
		}
		if i%2 == 0 {
			add(p(), allocated, 50*time.Minute, true, domain.PriorityUrgent2H, 0)
		} else {
			add(p(), allocated, band(4), false, domain.PriorityRoutine, 0)
		}
		add(p(), allocated, band(5), false, domain.PriorityRoutine, 0)
		add(p(), allocated, band(6), false, domain.PriorityUrgent2D, 0)
		// Seen: UCR within 2 hours and, in every fourth locality, late; a
		// routine referral seen after a week.
		add(p(), seen, 1*day, true, domain.PriorityUrgent2H, 95*time.Minute)
		late := 110 * time.Minute
		if i%4 == 0 {
			late = 150 * time.Minute
		}
		add(p(), seen, 2*day, true, domain.PriorityUrgent2H, late)
		add(p(), seen, 10*day, true, domain.PriorityUrgent2H, 80*time.Minute)
		add(p(), seen, 3*week, false, domain.PriorityRoutine, week)
		add(p(), rejected, 9*day, false, domain.PriorityRoutine, 0)
		add(p(), redirected, 12*day, false, domain.PriorityRoutine, 0)
		add(p(), withdrawn, 3*week, false, domain.PriorityRoutine, 0)
		add(p(), cancelled, 4*week, false, domain.PriorityUrgent2D, 0)
		add(p(), enteredInError, 6*day, false, domain.PriorityRoutine, 0)
	}
	return out
}

// drive receives a referral and takes it to its state. Business times
// follow receipt by minutes, in order.
func drive(ctx context.Context, a *app.Application, s spec, now time.Time) error {
	c := a.Commands
	cmd := func(step string) string { return fmt.Sprintf("seed:referrals:%d:%s", s.n, step) }
	// A step is never after now, nor ahead of the service's own clock.
	limit := now
	if c := a.Now(); c.Before(limit) {
		limit = c
	}
	at := func(d time.Duration) *string {
		t := s.receivedAt.Add(d)
		if t.After(limit) {
			t = limit
		}
		v := t.Format(time.RFC3339)
		return &v
	}
	p := s.person
	nhs, dob, pc := p.NHSNumber.String(), p.DateOfBirth.Format(time.DateOnly), p.Postcode.String()
	r, err := c.ReceiveReferral.Handle(ctx, app.ReceiveReferral{
		Patient: app.PatientInput{
			NHSNumber: &nhs, NHSNumberVerification: "VERIFIED", GivenName: p.GivenName, FamilyName: p.FamilyName,
			DateOfBirth: &dob, Postcode: &pc, GPPractice: &p.Practice,
		},
		Referrer:         s.referrer,
		ReceivedAt:       s.receivedAt.Format(time.RFC3339),
		Reason:           s.reason,
		ServiceRequested: s.service,
		Priority:         string(s.priority),
		UCR:              s.ucr,
		Consent:          []string{"GIVEN", "GIVEN", "GIVEN", "BEST_INTERESTS"}[s.n%4],
		RiskFlags:        [][]string{nil, {"FALLS"}, {"LONE_WORKING", "ANIMALS"}, {"COGNITIVE_IMPAIRMENT"}, {"ACCESS"}}[s.n%5],
	}, cmd("receive"))
	if err != nil {
		return err
	}
	id := r.ID
	triage := func(in app.TriageReferral) error {
		in.ReferralID, in.At = id, at(5*time.Minute)
		_, err := c.TriageReferral.Handle(ctx, in, cmd("triage"))
		return err
	}
	switch s.kind {
	case received:
		return nil
	case informationRequested:
		return triage(app.TriageReferral{Outcome: "REQUEST_INFORMATION", Information: ptr("Current medication and recent blood results"), RequestedFrom: ptr("GP practice")})
	case rejected:
		return triage(app.TriageReferral{Outcome: "REJECT", Reason: ptr("Needs are met by the current package of care")})
	case redirected:
		return triage(app.TriageReferral{Outcome: "REDIRECT", Service: ptr("Community Mental Health Team"), Reason: ptr("Primary need is mental health")})
	case withdrawn, cancelled, enteredInError:
		closure := map[kind]app.WithdrawReferral{
			withdrawn:      {Kind: "WITHDRAWN", Reason: "Patient declined the service"},
			cancelled:      {Kind: "CANCELLED", Reason: "Patient moved out of the area"},
			enteredInError: {Kind: "ENTERED_IN_ERROR", Reason: "Duplicate of another referral"},
		}[s.kind]
		closure.ReferralID, closure.At = id, at(time.Hour)
		_, err := c.WithdrawReferral.Handle(ctx, closure, cmd("close"))
		return err
	}
	if err := triage(app.TriageReferral{Outcome: "ACCEPT"}); err != nil {
		return err
	}
	if s.kind == waiting {
		return nil
	}
	team := map[bool]string{true: "UCR team", false: "Community team"}[s.ucr]
	if _, err := c.AllocateReferral.Handle(ctx, app.AllocateReferral{
		ReferralID: id, Team: team, ClinicianID: fmt.Sprintf("demo-clinician-%d", s.n%9+1), ClinicianName: ptr(fmt.Sprintf("Clinician %d", s.n%9+1)), At: at(10 * time.Minute),
	}, cmd("allocate")); err != nil {
		return err
	}
	if s.kind == allocated {
		return nil
	}
	_, err = c.RecordFirstContact.Handle(ctx, app.RecordFirstContact{ReferralID: id, At: at(s.contactAfter)}, cmd("contact"))
	return err
}

func ptr[T any](v T) *T { return &v }
