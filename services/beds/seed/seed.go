// Package seed makes the beds service's demo data through its real
// commands: every community hospital about three-quarters occupied, some
// beds reserved, awaiting clean (with cleaning history for turnaround
// figures) or closed, delayed discharges with their reasons, transfers, and
// a list of pending requests of every priority and age. Patients come from
// pkg/demo, so the other services' demo data can share them.
//
// Every command has a deterministic commandId ("seed:beds:..."), so running
// the seed again on the same store repeats commands and writes nothing new.
//
// It imports pkg/auth, pkg/demo, pkg/locality and the service's app,
// domain, hospitals and service packages.
package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"carecoord/pkg/auth"
	"carecoord/pkg/demo"
	"carecoord/pkg/locality"

	"carecoord/services/beds/app"
	"carecoord/services/beds/domain"
	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/service"
)

// Viewer is who the seed acts as.
var Viewer = auth.SystemViewer("seed")

// Run seeds the service. now anchors every business time and must not be
// later than the service's clock.
func Run(ctx context.Context, svc *service.Service, people *demo.People, now time.Time) error {
	ctx = auth.WithViewer(ctx, Viewer)
	now = now.UTC().Truncate(time.Minute)
	p := plan(svc.Hospitals, people, now)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(6)
	for _, hosp := range p.hospitals {
		g.Go(func() error {
			for _, b := range hosp {
				if err := b.run(gctx, svc.App.Commands); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, r := range p.requests {
		if err := r.run(ctx, svc.App.Commands); err != nil {
			return err
		}
	}
	return nil
}

// The plan is made before anything runs, in one goroutine, so that the same
// people and the same random choices come out every time.
type seedPlan struct {
	hospitals [][]*bedPlan
	requests  []*requestPlan
}

// role is what a bed is at the end of the seed.
type role int

const (
	roleAvailable role = iota
	roleOccupied
	roleReserved
	roleAwaitingClean
	roleOutOfUse
)

type bedPlan struct {
	id   string
	role role
	// isTransit marks an available bed a patient passed through before
	// moving to their bed: it has that story and no other.
	isTransit bool
	// stay, when the bed's story has one.
	req      *requestPlan
	transit  string // bed the patient was first admitted to, then moved from
	admitted time.Time
	moved    time.Time
	nctr     *domain.NCTR
	leftAt   time.Time // discharge, for beds awaiting clean or cleaned
	cleaned  time.Time // zero: not cleaned
	pathway  domain.Pathway
	referral bool
	closeAs  domain.BedStatus
	closeWhy domain.ClosureReason
}

type requestPlan struct {
	key        string
	person     demo.Person
	typ        domain.RequestType
	source     domain.RequestSource
	priority   domain.Priority
	need       string
	raisedAt   time.Time
	decidedAt  time.Time
	decline    string // "" accepts
	pendingOK  bool   // left pending (no decision)
	allocateAt time.Time
}

var needs = []string{
	"Fall at home, unable to mobilise safely; lives alone",
	"Frailty decompensation; needs 24-hour support for a few days",
	"Reduced mobility after urinary infection; carer unable to cope",
	"Delirium improving; needs rehabilitation before home",
	"Rehabilitation after hip fracture repair",
	"Medically optimised in acute; needs therapy before home",
	"Palliative care; family cannot support at home overnight",
	"Exacerbation of heart failure; needs monitoring and therapy",
}

var declines = []string{
	"Needs acute assessment: advised conveyance to ED",
	"Patient declined admission",
	"Need met at home by UCR",
}

var destinations = map[domain.Pathway][]string{
	domain.P0: {"Usual place of residence", "Home"},
	domain.P1: {"Home with reablement package", "Home with new domiciliary care"},
	domain.P2: {"Intermediate care bed", "Community rehabilitation bed"},
	domain.P3: {"Nursing home placement", "Residential care home"},
}

func plan(reg *hospitals.Registry, people *demo.People, now time.Time) seedPlan {
	rng := rand.New(rand.NewPCG(20261123, 6))
	var out seedPlan
	for _, h := range reg.Hospitals() {
		// Each hospital gets its share of every state (about 78% of beds
		// occupied), spread over its wards at random.
		var beds []*bedPlan
		for _, w := range h.Wards {
			for _, b := range w.Beds {
				beds = append(beds, &bedPlan{id: b.ID})
			}
		}
		n := float64(len(beds))
		roles := make([]role, 0, len(beds))
		for r, share := range map[role]float64{roleOccupied: 0.78, roleReserved: 0.04, roleAwaitingClean: 0.06, roleOutOfUse: 0.03} {
			for i := 0; i < int(share*n+0.5); i++ {
				roles = append(roles, r)
			}
		}
		for len(roles) < len(beds) {
			roles = append(roles, roleAvailable)
		}
		sortRoles(roles)
		rng.Shuffle(len(roles), func(i, j int) { roles[i], roles[j] = roles[j], roles[i] })
		for i, bp := range beds {
			bp.role = roles[i]
		}
		var spare []*bedPlan // available beds not yet used as a transit bed
		for _, bp := range beds {
			if bp.role == roleAvailable {
				spare = append(spare, bp)
			}
		}
		for _, bp := range beds {
			person := func() demo.Person {
				if rng.Float64() < 0.6 {
					return people.In(locality.ID(h.Locality))
				}
				return people.Any()
			}
			switch bp.role {
			case roleOccupied:
				los := time.Duration(6+rng.IntN(27*24)) * time.Hour
				bp.admitted = now.Add(-los)
				bp.req = stayRequest("bed:"+bp.id, person(), rng, bp.admitted)
				if los > 72*time.Hour && len(spare) > 0 && rng.Float64() < 0.12 {
					t := spare[0]
					spare = spare[1:]
					bp.transit, t.isTransit, t.req, t.leftAt, t.cleaned = t.id, true, nil, time.Time{}, time.Time{}
					bp.moved = bp.admitted.Add(time.Duration(12+rng.IntN(36)) * time.Hour)
					bp.cleaned = bp.moved.Add(time.Duration(40+rng.IntN(150)) * time.Minute)
				}
				if los > 96*time.Hour && rng.Float64() < 0.22 {
					from := bp.admitted
					if !bp.moved.IsZero() {
						from = bp.moved
					}
					since := from.Add(time.Duration(24+rng.IntN(int(now.Sub(from).Hours())-24)) * time.Hour)
					bp.nctr = &domain.NCTR{Since: since, Reason: domain.DelayReasons[rng.IntN(len(domain.DelayReasons))]}
				}
			case roleReserved:
				at := now.Add(-time.Duration(10+rng.IntN(170)) * time.Minute)
				bp.req = stayRequest("bed:"+bp.id, person(), rng, at)
			case roleAwaitingClean:
				bp.leftAt = now.Add(-time.Duration(15+rng.IntN(225)) * time.Minute)
				bp.admitted = bp.leftAt.Add(-time.Duration(2+rng.IntN(20)) * 24 * time.Hour)
				bp.req = stayRequest("bed:"+bp.id, person(), rng, bp.admitted)
				bp.pathway, bp.referral = pathway(rng), rng.Float64() < 0.4
			case roleOutOfUse:
				switch r := rng.Float64(); {
				case r < 0.5:
					bp.closeAs, bp.closeWhy = domain.Closed, []domain.ClosureReason{domain.ClosureStaffing, domain.ClosureEstates}[rng.IntN(2)]
				case r < 0.75:
					bp.closeAs, bp.closeWhy = domain.Contaminated, domain.ClosureInfectionControl
				default:
					bp.closeAs, bp.closeWhy = domain.Isolated, domain.ClosureInfectionControl
				}
			case roleAvailable:
				if rng.Float64() < 0.6 && !bp.isTransit {
					// A patient went home a day or two ago; the bed was cleaned.
					bp.leftAt = now.Add(-time.Duration(20+rng.IntN(48)) * time.Hour)
					bp.admitted = bp.leftAt.Add(-time.Duration(3+rng.IntN(18)) * 24 * time.Hour)
					bp.cleaned = bp.leftAt.Add(time.Duration(35+rng.IntN(160)) * time.Minute)
					bp.req = stayRequest("bed:"+bp.id, person(), rng, bp.admitted)
					bp.pathway, bp.referral = pathway(rng), rng.Float64() < 0.4
				}
			}
		}
		out.hospitals = append(out.hospitals, beds)
	}
	// The list the bed managers are working: requests waiting for a bed.
	for i := 0; i < 16; i++ {
		age := time.Duration(20+rng.IntN(72*60)) * time.Minute
		r := stayRequest(fmt.Sprintf("waiting:%d", i), people.Any(), rng, now)
		r.priority = domain.Priorities[i%len(domain.Priorities)]
		r.raisedAt = now.Add(-age)
		r.decidedAt = r.raisedAt.Add(time.Duration(10+rng.IntN(50)) * time.Minute)
		r.allocateAt = time.Time{}
		switch {
		case i%5 == 4:
			r.decline = declines[rng.IntN(len(declines))]
		case i%2 == 0:
			r.pendingOK = true
		}
		if r.decidedAt.After(now) {
			r.decidedAt = now
		}
		out.requests = append(out.requests, r)
	}
	return out
}

// stayRequest is the request behind a stay that began at start (the
// allocation an hour or so before).
func stayRequest(key string, p demo.Person, rng *rand.Rand, start time.Time) *requestPlan {
	r := &requestPlan{key: key, person: p, need: needs[rng.IntN(len(needs))], priority: domain.Priorities[rng.IntN(len(domain.Priorities))]}
	if rng.Float64() < 0.3 {
		r.typ, r.source = domain.StepDown, domain.SourceAcute
	} else {
		r.typ, r.source = domain.StepUp, []domain.RequestSource{domain.SourceFalls, domain.SourceUCR, domain.SourceICT}[rng.IntN(3)]
	}
	r.allocateAt = start.Add(-time.Duration(30+rng.IntN(150)) * time.Minute)
	r.decidedAt = r.allocateAt.Add(-time.Duration(5+rng.IntN(60)) * time.Minute)
	r.raisedAt = r.decidedAt.Add(-time.Duration(10+rng.IntN(600)) * time.Minute)
	return r
}

// sortRoles puts roles in a fixed order before the shuffle: map iteration
// order must not leak into the plan.
func sortRoles(r []role) { slices.Sort(r) }

func pathway(rng *rand.Rand) domain.Pathway {
	switch r := rng.Float64(); {
	case r < 0.55:
		return domain.P0
	case r < 0.93:
		return domain.P1
	case r < 0.98:
		return domain.P2
	}
	return domain.P3
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func id(key, step string) string { return "seed:beds:" + key + ":" + step }

// run raises the request and decides it.
func (r *requestPlan) run(ctx context.Context, c *app.Commands) error {
	_, err := r.raise(ctx, c)
	return err
}

func (r *requestPlan) raise(ctx context.Context, c *app.Commands) (string, error) {
	p := r.person
	req, err := c.RaiseBedRequest(ctx, app.RaiseBedRequestInput{
		CommandID: id(r.key, "raise"), Type: r.typ, Source: r.source, Priority: r.priority, ClinicalNeed: r.need,
		Patient: domain.PatientInput{NHSNumber: p.NHSNumber.String(), Verification: "VERIFIED", GivenName: p.GivenName, FamilyName: p.FamilyName,
			DateOfBirth: p.DateOfBirth.Format(time.DateOnly), Postcode: p.Postcode.String(), GPPractice: p.Practice},
		RequestedAt: stamp(r.raisedAt),
	})
	if err != nil {
		return "", fmt.Errorf("seed %s: raise: %w", r.key, err)
	}
	if r.pendingOK {
		return req.ID, nil
	}
	d := app.DecideBedRequestInput{CommandID: id(r.key, "decide"), BedRequestID: req.ID, Decision: app.Accept, DecidedAt: stamp(r.decidedAt)}
	if r.decline != "" {
		d.Decision, d.Reason = app.Decline, r.decline
	}
	if _, err := c.DecideBedRequest(ctx, d); err != nil {
		return "", fmt.Errorf("seed %s: decide: %w", r.key, err)
	}
	return req.ID, nil
}

func (b *bedPlan) run(ctx context.Context, c *app.Commands) error {
	fail := func(step string, err error) error { return fmt.Errorf("seed bed %s: %s: %w", b.id, step, err) }
	if b.role == roleOutOfUse {
		if _, err := c.CloseBed(ctx, app.CloseBedInput{CommandID: id(b.id, "close"), BedID: b.id, Status: b.closeAs, Reason: b.closeWhy}); err != nil {
			return fail("close", err)
		}
		return nil
	}
	if b.req == nil {
		return nil
	}
	reqID, err := b.req.raise(ctx, c)
	if err != nil {
		return err
	}
	first := b.id
	if b.transit != "" {
		first = b.transit
	}
	stay, err := c.AllocateBed(ctx, app.AllocateBedInput{CommandID: id(b.id, "allocate"), BedRequestID: reqID, BedID: first, AllocatedAt: stamp(b.req.allocateAt)})
	if err != nil {
		return fail("allocate", err)
	}
	if b.role == roleReserved {
		return nil
	}
	if _, err := c.AdmitPatient(ctx, app.AdmitPatientInput{CommandID: id(b.id, "admit"), StayID: stay.ID, AdmittedAt: stamp(b.admitted)}); err != nil {
		return fail("admit", err)
	}
	if b.transit != "" {
		if _, err := c.TransferPatient(ctx, app.TransferPatientInput{CommandID: id(b.id, "transfer"), StayID: stay.ID, ToBedID: b.id,
			Reason: domain.TransferClinicalNeed, TransferredAt: stamp(b.moved)}); err != nil {
			return fail("transfer", err)
		}
		if _, err := c.MarkBedClean(ctx, app.MarkBedCleanInput{CommandID: id(b.id, "clean-transit"), BedID: b.transit, CleanedAt: stamp(b.cleaned)}); err != nil {
			return fail("clean transit bed", err)
		}
	}
	if b.nctr != nil {
		if _, err := c.RecordNoCriteriaToReside(ctx, app.RecordNoCriteriaToResideInput{CommandID: id(b.id, "nctr"), StayID: stay.ID,
			DelayReason: b.nctr.Reason, Since: stamp(b.nctr.Since)}); err != nil {
			return fail("nctr", err)
		}
	}
	if b.leftAt.IsZero() {
		return nil
	}
	d := app.DischargePatientInput{CommandID: id(b.id, "discharge"), StayID: stay.ID, Pathway: b.pathway,
		Destination: destinations[b.pathway][int(b.admitted.Unix())%2], DischargedAt: stamp(b.leftAt)}
	if b.referral {
		d.FollowUp.ICTReferral, d.FollowUp.Reason = true, "ICT review at home within 72 hours"
	}
	if _, err := c.DischargePatient(ctx, d); err != nil {
		return fail("discharge", err)
	}
	if !b.cleaned.IsZero() && b.transit == "" {
		if _, err := c.MarkBedClean(ctx, app.MarkBedCleanInput{CommandID: id(b.id, "clean"), BedID: b.id, CleanedAt: stamp(b.cleaned)}); err != nil {
			return fail("clean", err)
		}
	}
	return nil
}
