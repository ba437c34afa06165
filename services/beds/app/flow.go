package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/pkg/eventstore"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/readmodel"
)

// run is one command's execution: who asked, its command ID, and the
// furthest log position it wrote, for read-your-writes.
type run struct {
	c        *core
	ctx      context.Context
	id       string
	actor    string
	locality string
	pos      eventstore.Position
}

// start begins a command. Without a client commandId one is made up, so that
// the steps of a multi-stream command still have deterministic IDs among
// themselves.
func (c *core) start(ctx context.Context, v auth.Viewer, commandID string) *run {
	if commandID == "" {
		commandID = "generated:" + uuid.NewString()
	}
	return &run{c: c, ctx: ctx, id: commandID, actor: v.Subject}
}

// detach keeps the command running to its end once it has started writing,
// whatever the caller does: a half-done allocation is worse than a slow
// answer. It returns the cancel of the new context.
func (r *run) detach() context.CancelFunc {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), flowTimeout)
	r.ctx = ctx
	return cancel
}

// cmd is the aggregate command of one step: the client's command ID for a
// single-step command (step ""), else a per-step ID derived from it, so that
// a stream written twice by one command (a transfer reserves, then occupies,
// the new bed) records each step once.
func (r *run) cmd(step string) aggregate.Command {
	id := r.id
	if step != "" {
		id += "/" + step
	}
	return aggregate.Command{ID: id, Actor: r.actor, Locality: r.locality}
}

// exec runs one step and remembers how far it wrote.
func exec[S aggregate.State](r *run, repo *aggregate.Repository[S], id, step string, decide aggregate.Decide[S]) (aggregate.Result[S], error) {
	res, err := repo.Execute(r.ctx, id, r.cmd(step), decide)
	if err == nil && res.Position > r.pos {
		r.pos = res.Position
	}
	return res, err
}

// probe loads an aggregate and reports whether the step has already run on
// it: how a repeated multi-stream command recognises that it finished.
func probe[S aggregate.State](r *run, repo *aggregate.Repository[S], id, step string) (S, bool, error) {
	res, err := repo.Execute(r.ctx, id, r.cmd(step), func(S, bool) ([]aggregate.Event, error) { return nil, nil })
	return res.State, res.Repeated, err
}

// definite reports whether a failed step certainly wrote nothing, so that
// what came before it may be compensated. An internal error may hide a write
// that happened: then the command is left for a repeat (or settle) to finish.
func definite(err error) bool {
	switch errs.KindOf(err) {
	case errs.KindInvalidInput, errs.KindConflict, errs.KindNotFound, errs.KindForbidden:
		return true
	}
	return false
}

// slugOf is a typed error's slug, for recording why a step failed.
func slugOf(err error) string {
	if e, ok := errs.As(err); ok && e.Slug != "" {
		return e.Slug
	}
	return "failed"
}

// wait lets the read model catch up with what the command wrote.
func (r *run) wait() {
	if r.pos == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), viewWait)
	defer cancel()
	if err := r.c.views.WaitFor(ctx, r.pos); err != nil {
		r.c.logger.Warn("read model behind a command's write", zap.Uint64("position", uint64(r.pos)))
	}
}

// stayView waits for the write and returns the stay as the read model has it.
func (r *run) stayView(stayID string) (readmodel.Stay, error) {
	r.wait()
	s, ok := r.c.views.Stay(stayID)
	if !ok {
		return readmodel.Stay{}, errs.Internal("the change was recorded but cannot be shown yet: reload", nil)
	}
	touchStays(r.ctx, s)
	return s, nil
}

// placementKeyOf finds the placement stream of a stay.
func (c *core) placementKeyOf(stayID string) (string, readmodel.Stay, error) {
	s, ok := c.views.Stay(stayID)
	if !ok {
		return "", readmodel.Stay{}, errs.NotFound("there is no such bed stay", "stay-not-found")
	}
	return domain.PatientKey(s.Patient.NHSNumber), s, nil
}

// businessTime reads an optional business time: now when absent, never in
// the future (two minutes of client clock skew are forgiven).
func (c *core) businessTime(field, s string) (time.Time, error) {
	now := c.now()
	if strings.TrimSpace(s) == "" {
		return now, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errs.Invalid(field, "must be an RFC 3339 time such as 2026-11-23T09:30:00Z", "time-format")
	}
	t = t.UTC().Truncate(time.Second)
	if t.After(now.Add(2 * time.Minute)) {
		return time.Time{}, errs.Invalid(field, "cannot be in the future", "time-in-future")
	}
	if t.After(now) {
		t = now
	}
	return t, nil
}

// ---- the steps that finish or undo a claim ----

// finishAllocation completes an allocation whose bed is reserved for the
// stay: the stay learns its bed is confirmed, then the request is marked
// allocated. If the request can no longer be allocated (declined meanwhile)
// the allocation is undone, bed first.
func (r *run) finishAllocation(key string, s domain.Stay) error {
	if _, err := exec(r, r.c.placements, key, "confirm", func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
		return p.ConfirmBed(s.ID)
	}); err != nil {
		return err
	}
	_, err := exec(r, r.c.requests, s.RequestID, "request", func(q *domain.BedRequest, _ bool) ([]aggregate.Event, error) {
		return q.MarkAllocated(s.ID, s.Bed, r.actor, s.AllocatedAt)
	})
	if err == nil || !definite(err) {
		return err
	}
	if uerr := r.undoAllocation(key, s, slugOf(err)); uerr != nil {
		return uerr
	}
	return err
}

// undoAllocation releases a stay's reservation, then ends the stay: the
// release order (bed before patient).
func (r *run) undoAllocation(key string, s domain.Stay, reason string) error {
	if _, err := exec(r, r.c.beds, s.Bed.BedID, "release", func(b *domain.Bed, _ bool) ([]aggregate.Event, error) {
		return b.ReleaseReservation(s.ID, reason, r.c.now())
	}); err != nil {
		return err
	}
	_, err := exec(r, r.c.placements, key, "fail", func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
		return p.FailAllocation(s.ID, reason)
	})
	return err
}

// finishTransfer completes a transfer whose new bed is reserved for the
// stay: the old bed is vacated, the new one occupied, then the stay records
// the move. Vacating first means the patient is never in two beds, only
// briefly in none while the new bed stays reserved for them.
func (r *run) finishTransfer(key string, s domain.Stay, to hospitals.Location, at time.Time) error {
	if s.Bed.BedID != to.BedID {
		if _, err := exec(r, r.c.beds, s.Bed.BedID, "vacate", func(b *domain.Bed, _ bool) ([]aggregate.Event, error) {
			return b.Vacate(s.ID, domain.VacatedOnTransfer, at)
		}); err != nil {
			return err
		}
	}
	if _, err := exec(r, r.c.beds, to.BedID, "occupy", func(b *domain.Bed, _ bool) ([]aggregate.Event, error) {
		return b.Occupy(s.ID, domain.OccupiedOnTransfer, at)
	}); err != nil {
		return err
	}
	_, err := exec(r, r.c.placements, key, "complete", func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
		return p.CompleteTransfer(s.ID, to.BedID, s.Transfer.BedRevision, at)
	})
	return err
}

// settle resolves a patient's claim on a bed that has not (yet) been
// reserved for it: the leftover of an allocation or transfer that was
// interrupted, or one running right now. If the bed holds the stay, the
// claim is finished (rolled forward). If the bed has moved past the claim's
// fence, the claim can never land and is ended. If the bed is still at the
// fence, a young claim is left to its command (CONFLICT: try again) and an
// old one is fenced off on the bed, then ended.
//
// Every settler of the same claim uses the same step IDs, so two settling at
// once write each event once.
func (r *run) settle(key string) error {
	p, _, err := r.c.placements.Load(r.ctx, key)
	if err != nil {
		return err
	}
	s, ok := p.Open()
	switch {
	case !ok:
		return nil
	case s.Phase == domain.PhaseClaimed:
		return r.settleClaim(key, s, s.Bed, s.BedRevision, s.ClaimedAt, false)
	case s.Transfer != nil:
		return r.settleClaim(key, s, s.Transfer.To, s.Transfer.BedRevision, s.Transfer.ClaimedAt, true)
	}
	return nil
}

func (r *run) settleClaim(key string, s domain.Stay, bed hospitals.Location, fence int64, claimedAt time.Time, transfer bool) error {
	// The settle's steps are named by the claim (stay, bed, fence), so that
	// every settler of one claim writes each step once, and no settler of
	// one claim mistakes another's steps for its own.
	sr := &run{c: r.c, ctx: r.ctx, id: fmt.Sprintf("settle:%s:%s:%d", s.ID, bed.BedID, fence), actor: r.actor, locality: s.Locality}
	defer func() {
		if sr.pos > r.pos {
			r.pos = sr.pos
		}
	}()
	b, _, err := r.c.beds.Load(r.ctx, bed.BedID)
	if err != nil {
		return err
	}
	landed := b.Holds(s.ID)
	if !landed && b.Version() == fence {
		if r.c.now().Sub(claimedAt) < r.c.grace {
			if transfer {
				return errs.Conflict("another transfer of this patient is in progress: try again in a moment", domain.SlugTransferInProgress)
			}
			return errs.Conflict("another allocation for this patient is in progress: try again in a moment", domain.SlugAllocationInProgress)
		}
		_, err := exec(sr, r.c.beds, bed.BedID, "abandon", func(b *domain.Bed, _ bool) ([]aggregate.Event, error) {
			return b.AbandonAllocation(s.ID, fence, r.c.now())
		})
		if e, ok := errs.As(err); ok && e.Slug == domain.SlugAllocationLanded {
			landed = true
		} else if err != nil {
			return err
		}
	}
	if landed {
		r.c.logger.Info("rolled a bed claim forward")
		if transfer {
			return sr.finishTransfer(key, s, bed, s.Transfer.StartedAt)
		}
		return sr.finishAllocation(key, s)
	}
	r.c.logger.Info("ended a bed claim that never reached its bed")
	if transfer {
		_, err = exec(sr, r.c.placements, key, "fail", func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
			return p.FailTransfer(s.ID, bed.BedID, fence, "abandoned")
		})
		return err
	}
	_, err = exec(sr, r.c.placements, key, "fail", func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
		return p.FailAllocation(s.ID, "abandoned")
	})
	return err
}
