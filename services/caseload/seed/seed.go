// Package seed puts demo caseloads on every locality through the service's
// real commands, as auth.SystemViewer("seed"): a dozen or so episodes per
// locality in every state, three keyworkers each, visits across the coming
// week (some overdue), care plans (some past review), MDT discussions, a
// few admissions, discharges, transfers and deaths.
//
// Running it twice on the same store does not double anything: every
// command has a deterministic commandId ("seed:caseload:<locality>:<n>:<step>")
// and every episode a deterministic ID, so a second run is answered with
// the first run's results.
//
// It imports the service and app packages, pkg/auth, pkg/aggregate and
// pkg/demo.
package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/pkg/demo"
	"carecoord/pkg/locality"
	"carecoord/services/caseload/app"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
	"carecoord/services/caseload/service"
)

// Keyworkers per locality.
const keyworkers = 3

var staffGiven = []string{"Sarah", "Priya", "Tom", "Gemma", "Aisha", "Mark", "Rachel", "Owen", "Hannah", "Imran", "Laura", "Ben"}
var staffFamily = []string{"Bennett", "Kaur", "Lowe", "Hargreaves", "Okafor", "Bailey", "Shah", "Finch", "Doyle", "Pearson", "Mills", "Adeyemi"}

// Keyworker is the synthetic clinician n (1-based) of a locality:
// "clin-leek-1".
func Keyworker(loc locality.ID, n int) domain.Clinician {
	var h uint32
	for _, r := range loc {
		h = h*31 + uint32(r)
	}
	return domain.Clinician{
		ID:   fmt.Sprintf("clin-%s-%d", loc, n),
		Name: staffGiven[(int(h%97)+n)%len(staffGiven)] + " " + staffFamily[(int(h%89)+3*n)%len(staffFamily)],
	}
}

// EpisodeID is the seeded episode n of a locality.
func EpisodeID(loc locality.ID, n int) string {
	return aggregate.DeterministicID("caseload-episode", fmt.Sprintf("seed:caseload:%s:%d", loc, n))
}

// plan is one seeded episode: who, and how far along its life it gets.
type plan struct {
	loc     locality.ID
	n       int
	person  demo.Person
	stage   stage
	openAgo time.Duration
	// reviewIn is the care plan's review date from today, in days
	// (negative: overdue).
	reviewIn  int
	kw        domain.Clinician
	firstHour int
	daily     bool
	// missed visits are left unrecorded: overdue.
	missed     bool
	transferTo locality.ID
}

type stage int

const (
	awaiting stage = iota
	allocated
	active
	underReview
	suspended
	discharged
	transferred
	deceased
)

// Run seeds the caseloads. now anchors every date; the service's clock
// should read about the same.
func Run(ctx context.Context, svc *service.Service, people *demo.People, now time.Time) error {
	ctx = auth.WithViewer(ctx, auth.SystemViewer("seed"))
	reg := locality.Default()
	rng := people.Rand()
	// Draw every random choice first, in a fixed order, then run the
	// localities side by side (their appends share fsyncs).
	var plans [][]plan
	all := reg.All()
	for li, l := range all {
		var ps []plan
		count := 12 + rng.IntN(7)
		for n := 1; n <= count; n++ {
			p := plan{loc: l.ID, n: n, person: people.In(l.ID), stage: pickStage(rng),
				openAgo: time.Duration(15+rng.IntN(30)) * 24 * time.Hour, reviewIn: 5 + rng.IntN(40),
				kw: Keyworker(l.ID, 1+rng.IntN(keyworkers)), firstHour: 9 + rng.IntN(7), daily: rng.IntN(3) == 0, missed: rng.IntN(5) == 0}
			if rng.IntN(6) == 0 {
				p.reviewIn = -1 - rng.IntN(5) // past its review date
			}
			if p.stage == transferred {
				p.transferTo = all[(li+1)%len(all)].ID
			}
			ps = append(ps, p)
		}
		plans = append(plans, ps)
	}
	errc := make(chan error, len(plans))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, ps := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, p := range ps {
				if err := seedEpisode(ctx, svc.App, p, now); err != nil {
					errc <- fmt.Errorf("seed caseload %s/%d: %w", p.loc, p.n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func pickStage(rng *rand.Rand) stage {
	switch r := rng.IntN(100); {
	case r < 10:
		return awaiting
	case r < 20:
		return allocated
	case r < 70:
		return active
	case r < 80:
		return underReview
	case r < 86:
		return suspended
	case r < 92:
		return discharged
	case r < 95:
		return transferred
	default:
		return deceased
	}
}

// seedEpisode opens one episode and takes it through its life up to its
// stage, each step a real command with a deterministic commandId named for
// the step.
func seedEpisode(ctx context.Context, a *app.Application, p plan, now time.Time) error {
	id := EpisodeID(p.loc, p.n)
	cmd := func(step string) string { return fmt.Sprintf("seed:caseload:%s:%d:%s", p.loc, p.n, step) }
	rfc := func(t time.Time) *string { s := t.UTC().Format(time.RFC3339); return &s }
	c := a.Commands
	person := p.person
	if _, err := c.OpenEpisode.Handle(ctx, cmd("open"), app.OpenEpisode{
		EpisodeID: id, ReferralID: fmt.Sprintf("seed-referral-%s-%d", p.loc, p.n),
		NHSNumber: person.NHSNumber.String(), NHSNumberVerification: "VERIFIED", GivenName: person.GivenName, FamilyName: person.FamilyName,
		DateOfBirth: person.DateOfBirth.Format("2006-01-02"), Postcode: person.Postcode.String(), GPPractice: person.Practice,
		Locality: string(p.loc), ServiceRequested: "Integrated care team", Priority: "ROUTINE",
		Reason:   domain.Reason{SNOMEDCode: "129839007", Display: "At risk for falls"},
		OpenedAt: now.Add(-p.openAgo),
	}); err != nil {
		return err
	}
	if p.stage == awaiting {
		return nil
	}
	if _, err := c.AssignKeyworker.Handle(ctx, cmd("keyworker"), app.AssignKeyworker{EpisodeID: id, KeyworkerID: p.kw.ID, KeyworkerName: p.kw.Name,
		At: rfc(now.Add(-13 * 24 * time.Hour))}); err != nil {
		return err
	}
	today := domain.DateOf(now).Start()
	at := func(daysFromToday int) time.Time {
		return today.AddDate(0, 0, daysFromToday).Add(time.Duration(p.firstHour) * time.Hour)
	}
	visit := app.ScheduleVisit{EpisodeID: id, DurationMinutes: 30 + 15*(p.n%3)}
	if p.stage == allocated {
		// The first assessment: tomorrow, or (missed) yesterday.
		visit.Purpose, visit.PlannedAt = "ASSESSMENT", at(1).UTC().Format(time.RFC3339)
		if p.missed {
			visit.PlannedAt = at(-1).UTC().Format(time.RFC3339)
		}
	} else {
		review := domain.DateOf(now.AddDate(0, 0, p.reviewIn)) // negative: overdue
		if _, err := c.UpdateCarePlan.Handle(ctx, cmd("careplan"), app.UpdateCarePlan{EpisodeID: id,
			Goals:          []string{"Mobilise safely around the home", "Manage own medicines", "Carer supported"}[:1+p.n%3],
			NextReviewDate: string(review), AgreedAt: rfc(now.Add(-12 * 24 * time.Hour))}); err != nil {
			return err
		}
		// From two days ago across the coming week, at the same London
		// time: daily, or weekly.
		visit.Purpose = []string{"WOUND_CARE", "MEDICATION", "REVIEW", "THERAPY", "CONTINENCE", "WELLBEING_CHECK"}[p.n%6]
		visit.PlannedAt = at(-2).UTC().Format(time.RFC3339)
		visit.Recurrence = &app.RecurrenceSpec{Frequency: "WEEKLY", Occurrences: 2}
		if p.daily {
			visit.Recurrence = &app.RecurrenceSpec{Frequency: "DAILY", Occurrences: 9}
		}
	}
	visits, _, err := c.ScheduleVisit.Handle(ctx, cmd("visits"), visit)
	if err != nil {
		return err
	}
	// Visits of earlier days are written up, but for a missed one left
	// unrecorded (overdue); today's stay planned (due).
	var past []readmodel.VisitView
	for _, v := range visits {
		if v.PlannedAt.Before(today) {
			past = append(past, v)
		}
	}
	if p.missed && len(past) > 0 {
		past = past[:len(past)-1]
	}
	for i, v := range past {
		outcome := "COMPLETED"
		if (p.n+i)%7 == 0 {
			outcome = "NO_ACCESS"
		}
		if _, _, err := c.RecordVisitOutcome.Handle(ctx, cmd("outcome:"+v.ID), app.RecordVisitOutcome{EpisodeID: id, VisitID: v.ID, Outcome: outcome,
			At: rfc(v.PlannedAt.Add(40 * time.Minute))}); err != nil {
			return err
		}
	}
	switch p.stage {
	case underReview:
		if _, err := c.StartReview.Handle(ctx, cmd("review"), app.StartReview{EpisodeID: id, Reason: "CHANGE_IN_NEEDS", At: rfc(now.Add(-3 * 24 * time.Hour))}); err != nil {
			return err
		}
		return mdt(ctx, a, id, cmd("mdt"), p, now)
	case active:
		if p.n%4 == 0 {
			return mdt(ctx, a, id, cmd("mdt"), p, now)
		}
	case suspended:
		_, err := c.SuspendEpisode.Handle(ctx, cmd("suspend"), app.SuspendEpisode{EpisodeID: id, Reason: "ADMITTED_ACUTE_HOSPITAL", At: rfc(now.Add(-20 * time.Hour))})
		return err
	case discharged:
		_, err := c.DischargeEpisode.Handle(ctx, cmd("discharge"), app.DischargeEpisode{EpisodeID: id, Outcome: "GOALS_MET", At: rfc(now.Add(-2 * time.Hour))})
		return err
	case transferred:
		_, err := c.TransferEpisode.Handle(ctx, cmd("transfer"), app.TransferEpisode{EpisodeID: id, ToLocalityID: string(p.transferTo), At: rfc(now.Add(-4 * time.Hour))})
		return err
	case deceased:
		_, err := c.RecordDeath.Handle(ctx, cmd("death"), app.RecordDeath{EpisodeID: id, DateOfDeath: string(domain.DateOf(now.Add(-24 * time.Hour)))})
		return err
	}
	return nil
}

func mdt(ctx context.Context, a *app.Application, id, commandID string, p plan, now time.Time) error {
	_, err := a.Commands.RecordMdtDiscussion.Handle(ctx, commandID, app.RecordMdtDiscussion{EpisodeID: id,
		DiscussedAt: now.Add(-2 * 24 * time.Hour).UTC().Format(time.RFC3339),
		Attendees:   []app.MdtAttendee{{Role: "GP"}, {Role: "COMMUNITY_NURSE", Name: p.kw.Name}, {Role: "SOCIAL_WORKER"}, {Role: "PHYSIOTHERAPIST"}},
		Actions: []app.MdtAction{
			{Description: "Medication review", OwnerRole: "PHARMACIST", DueDate: string(domain.DateOf(now.AddDate(0, 0, 5)))},
			{Description: "Falls risk assessment at home", OwnerRole: "PHYSIOTHERAPIST", OwnerName: "Physio team"},
		}})
	return err
}
