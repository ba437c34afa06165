// Package seed makes the falls service's demo data through its real
// commands, as auth.SystemViewer("seed"): units on and off shift, open
// incidents in several localities at every stage (some with the patient more
// than an hour on the floor), and a few closed ones. It never records a
// REFERRED or STEP_UP_BED outcome: those would make the referrals and beds
// services react.
//
// Every command has a fixed commandId ("seed:falls:<incident>:<step>"), so
// running the seed again on the same store changes nothing. The event bus
// must be running: a dispatch completes through the service's reaction.
//
// It imports the falls service and app, pkg/auth and pkg/demo.
package seed

import (
	"context"
	"fmt"
	"time"

	"carecoord/pkg/auth"
	"carecoord/pkg/demo"
	"carecoord/pkg/locality"
	"carecoord/services/falls/app"
	"carecoord/services/falls/service"
)

// Run seeds the demo data; now anchors every time.
func Run(ctx context.Context, svc *service.Service, people *demo.People, now time.Time) error {
	s := &seeder{ctx: auth.WithViewer(ctx, auth.SystemViewer("seed")), c: svc.App.Commands, people: people, now: now.UTC().Truncate(time.Minute)}
	s.shifts()
	s.closed()
	s.open()
	return s.err
}

type seeder struct {
	ctx    context.Context
	c      app.Commands
	people *demo.People
	now    time.Time
	err    error
}

// ago is a time the given minutes before now, as the commands take it.
func (s *seeder) ago(minutes int) string {
	return s.now.Add(-time.Duration(minutes) * time.Minute).Format(time.RFC3339)
}

// run runs one command unless an earlier one failed.
func (s *seeder) run(step string, fn func(cmdID string) error) {
	if s.err != nil {
		return
	}
	if err := fn("seed:falls:" + step); err != nil {
		s.err = fmt.Errorf("seed falls %s: %w", step, err)
	}
}

func (s *seeder) shifts() {
	for _, u := range []string{"falls-11", "falls-12", "falls-13", "falls-14", "falls-15", "falls-16", "falls-17", "falls-18", "ucr-21", "ucr-22", "ucr-23"} {
		s.run("shift:"+u, func(id string) error {
			_, err := s.c.SetResponderStatus(s.ctx, id, app.SetResponderStatusInput{ResponderID: u, Status: "AVAILABLE"})
			return err
		})
	}
	// FALLS 16's shift has ended; FALLS 19 and UCR 24 never came on.
	s.run("shift:falls-16:off", func(id string) error {
		_, err := s.c.SetResponderStatus(s.ctx, id, app.SetResponderStatusInput{ResponderID: "falls-16", Status: "OFF_DUTY"})
		return err
	})
}

// incident is one seeded incident: its key, and the ID its report opened.
type incident struct {
	s   *seeder
	key string
	id  string
}

func (s *seeder) report(key string, in app.ReportFallInput, who *demo.Person) *incident {
	i := &incident{s: s, key: key}
	if who != nil {
		in.Patient = &app.PatientInput{NHSNumber: who.NHSNumber.String(), NHSNumberVerification: "VERIFIED", GivenName: who.GivenName,
			FamilyName: who.FamilyName, DateOfBirth: who.DateOfBirth.Format(time.DateOnly), Postcode: who.Postcode.String(), GPPractice: who.Practice}
		if in.Address.Postcode == "" {
			in.Address.Postcode = who.Postcode.String()
		}
	}
	s.run(key+":report", func(id string) error {
		v, err := s.c.ReportFall(s.ctx, id, in)
		i.id = v.ID
		return err
	})
	return i
}

func (s *seeder) person(loc locality.ID) *demo.Person {
	p := s.people.In(loc)
	return &p
}

func (i *incident) step(name string, fn func(cmdID string) (app.FallView, error)) *incident {
	i.s.run(i.key+":"+name, func(id string) error { _, err := fn(id); return err })
	return i
}

func (i *incident) triage(at int, injury string, flags ...string) *incident {
	return i.step("triage", func(id string) (app.FallView, error) {
		return i.s.c.TriageFall(i.s.ctx, id, app.TriageFallInput{IncidentID: i.id, Injury: injury, RedFlags: flags, TriagedAt: i.s.ago(at)})
	})
}

func (i *incident) dispatch(at int, unit string) *incident {
	return i.step("dispatch", func(id string) (app.FallView, error) {
		return i.s.c.DispatchResponder(i.s.ctx, id, app.DispatchResponderInput{IncidentID: i.id, ResponderID: unit, DispatchedAt: i.s.ago(at)})
	})
}

func (i *incident) enRoute(at int) *incident {
	return i.step("en-route", func(id string) (app.FallView, error) {
		return i.s.c.ResponderEnRoute(i.s.ctx, id, app.ResponderEnRouteInput{IncidentID: i.id, EnRouteAt: i.s.ago(at)})
	})
}

func (i *incident) onScene(at int) *incident {
	return i.step("on-scene", func(id string) (app.FallView, error) {
		return i.s.c.ResponderOnScene(i.s.ctx, id, app.ResponderOnSceneInput{IncidentID: i.id, ArrivedAt: i.s.ago(at)})
	})
}

func (i *incident) lift(at int, equipment string) *incident {
	return i.step("lift", func(id string) (app.FallView, error) {
		return i.s.c.RecordLift(i.s.ctx, id, app.RecordLiftInput{IncidentID: i.id, LiftedAt: i.s.ago(at), Equipment: equipment})
	})
}

func (i *incident) escalate(at int, ref string) *incident {
	return i.step("escalate", func(id string) (app.FallView, error) {
		return i.s.c.EscalateFallTo999(i.s.ctx, id, app.EscalateFallTo999Input{IncidentID: i.id, AmbulanceReference: ref, EscalatedAt: i.s.ago(at)})
	})
}

// outcome records one of the outcomes no other service reacts to.
func (i *incident) outcome(at int, outcome string) *incident {
	if outcome != "LIFTED_LEFT_AT_HOME" && outcome != "CONVEYED" && outcome != "DECLINED" {
		panic("seed: outcome " + outcome + " would make other services react")
	}
	return i.step("outcome", func(id string) (app.FallView, error) {
		return i.s.c.RecordFallOutcome(i.s.ctx, id, app.RecordFallOutcomeInput{IncidentID: i.id, Outcome: outcome, RecordedAt: i.s.ago(at)})
	})
}

func (i *incident) close(at int) *incident {
	return i.step("close", func(id string) (app.FallView, error) {
		return i.s.c.CloseFall(i.s.ctx, id, app.CloseFallInput{IncidentID: i.id, ClosedAt: i.s.ago(at)})
	})
}

const (
	hour = 60
	day  = 24 * hour
)

// closed are finished incidents of the last few days.
func (s *seeder) closed() {
	s.report("c1", app.ReportFallInput{Source: "TELECARE", AlertedAt: s.ago(day + 2*hour), EstimatedFallAt: s.ago(day + 2*hour + 10),
		Address: app.AddressInput{Text: "7 Foregate Street"}, LocalityID: "stafford"}, s.person("stafford")).
		triage(day+2*hour-2, "UNINJURED").dispatch(day+2*hour-5, "falls-15").enRoute(day+2*hour-6).
		onScene(day+hour+30).lift(day+hour+20, "Mangar ELK").outcome(day+hour+5, "LIFTED_LEFT_AT_HOME").close(day + hour)

	s.report("c2", app.ReportFallInput{Source: "NHS_111", AlertedAt: s.ago(2*day + 3*hour),
		Address: app.AddressInput{Text: "22 Church Street"}, LocalityID: "cannock"}, s.person("cannock")).
		triage(2*day+3*hour-4, "MINOR_INJURY").dispatch(2*day+3*hour-8, "ucr-22").enRoute(2*day+3*hour-9).
		onScene(2*day+2*hour).outcome(2*day+hour+40, "CONVEYED").close(2*day + hour + 30)

	s.report("c3", app.ReportFallInput{Source: "FAMILY_CARER", AlertedAt: s.ago(3*day + 5*hour), EstimatedFallAt: s.ago(3*day + 5*hour + 5),
		Address: app.AddressInput{Text: "3 Bird Street"}, LocalityID: "lichfield"}, s.person("lichfield")).
		triage(3*day+5*hour-3, "UNINJURED").dispatch(3*day+5*hour-6, "falls-17").onScene(3*day+4*hour+30).
		outcome(3*day+4*hour+20, "DECLINED").close(3*day + 4*hour + 15)

	// A lie of 80 minutes: lifted and well, but a breach.
	s.report("c4", app.ReportFallInput{Source: "TELECARE", AlertedAt: s.ago(4*day + 6*hour), EstimatedFallAt: s.ago(4*day + 6*hour + 30),
		Address: app.AddressInput{Text: "Flat 4, Derby Street"}, LocalityID: "leek"}, s.person("leek")).
		triage(4*day+6*hour-5, "UNINJURED").dispatch(4*day+6*hour-8, "falls-14").enRoute(4*day+6*hour-9).
		onScene(4*day+5*hour+20).lift(4*day+5*hour+10, "Raizer II").outcome(4*day+5*hour, "LIFTED_LEFT_AT_HOME").close(4*day + 4*hour + 50)
}

// open are the incidents on the board now.
func (s *seeder) open() {
	// Leek: queued for a lift, on the floor for over an hour already.
	s.report("o1", app.ReportFallInput{Source: "TELECARE", AlertedAt: s.ago(80), EstimatedFallAt: s.ago(95),
		Address: app.AddressInput{Text: "12 St Edward Street"}, LocalityID: "leek"}, s.person("leek")).
		triage(75, "UNINJURED")

	// Tamworth: just in from 111, nobody knows who it is yet.
	s.report("o2", app.ReportFallInput{Source: "NHS_111", AlertedAt: s.ago(12),
		Address: app.AddressInput{Text: "outside the library, Corporation Street", Postcode: "B79 7DN"}, LocalityID: "tamworth"}, nil)

	// Stafford: minor injury, the clinical unit on its way; over an hour.
	s.report("o3", app.ReportFallInput{Source: "FAMILY_CARER", AlertedAt: s.ago(70), EstimatedFallAt: s.ago(130),
		Address: app.AddressInput{Text: "41 Corporation Street"}, LocalityID: "stafford"}, s.person("stafford")).
		triage(65, "MINOR_INJURY").dispatch(60, "ucr-22").enRoute(58)

	// Hanley: the lifter is with the patient.
	s.report("o4", app.ReportFallInput{Source: "TELECARE", AlertedAt: s.ago(45), EstimatedFallAt: s.ago(50),
		Address: app.AddressInput{Text: "9 Town Road"}, LocalityID: "hanley"}, s.person("hanley")).
		triage(42, "UNINJURED").dispatch(40, "falls-11").enRoute(39).onScene(10)

	// Burton: red flag, handed to 999 with the line kept open.
	s.report("o5", app.ReportFallInput{Source: "AMBULANCE_999_TRANSFER", AlertedAt: s.ago(30), EstimatedFallAt: s.ago(35),
		Address: app.AddressInput{Text: "18 Horninglow Road"}, LocalityID: "burton-upon-trent"}, s.person("burton-upon-trent")).
		triage(28, "UNINJURED", "INTENSE_PAIN").escalate(27, "WMAS-DEMO-0417")

	// Cannock: queued for a lift.
	s.report("o6", app.ReportFallInput{Source: "TELECARE", AlertedAt: s.ago(20),
		Address: app.AddressInput{Text: "5 Hednesford Road"}, LocalityID: "cannock"}, s.person("cannock")).
		triage(18, "UNINJURED")

	// Lichfield: a red flag found, awaiting escalation.
	s.report("o7", app.ReportFallInput{Source: "FAMILY_CARER", AlertedAt: s.ago(8),
		Address: app.AddressInput{Text: "2 Dam Street"}, LocalityID: "lichfield"}, s.person("lichfield")).
		triage(6, "UNINJURED", "SUSPECTED_COLLAPSE")

	// Longton: lifted after 65 minutes, the outcome still to record.
	s.report("o8", app.ReportFallInput{Source: "TELECARE", AlertedAt: s.ago(70), EstimatedFallAt: s.ago(75),
		Address: app.AddressInput{Text: "30 Uttoxeter Road"}, LocalityID: "longton-and-meir"}, s.person("longton-and-meir")).
		triage(68, "UNINJURED").dispatch(65, "falls-12").onScene(20).lift(10, "Mangar ELK")

	// Leek: a second alert, not yet triaged.
	s.report("o9", app.ReportFallInput{Source: "TELECARE", AlertedAt: s.ago(4),
		Address: app.AddressInput{Text: "Ball Haye Green"}, LocalityID: "leek"}, s.person("leek"))
}
