// Package readmodel is caseload's read side: one in-memory projection of the
// episode streams, rebuilt from the log at every start, that answers every
// query (an episode's detail and history, a locality's caseload, a
// clinician's visit list, the team lead's counts, a patient's timeline).
//
// It is one projection rather than several because every view is cut from
// the same events and must agree with the others at any instant; one
// Progress is then enough for read-your-writes. Handlers are idempotent by
// stream revision: a redelivered event is skipped.
//
// Due, overdue and review-overdue depend on the clock, so they are computed
// at read time from the now the caller passes, never stored.
//
// It imports the domain (for event types), inbound (only to track the
// position of the beds events the reactions look up against), pkg/eventbus,
// pkg/projection and pkg/locality.
package readmodel

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"

	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/locality"
	"carecoord/pkg/projection"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/inbound"
)

// Name is the projection's consumer name on the bus.
const Name = "caseload.Caseload"

// Caseload is the projection.
type Caseload struct {
	// Progress is how far the log is applied, for read-your-writes.
	Progress projection.Progress

	reg *locality.Registry

	mu         sync.RWMutex
	episodes   map[string]*episode
	byPatient  map[string][]string
	byLocality map[string]map[string]bool
	// byClinician indexes visits by who is to make them.
	byClinician map[string]map[visitRef]bool
	// changed is closed (and replaced) whenever an episode changes, to wake
	// WaitForEpisode.
	changed chan struct{}
	// applying is the delivery being applied (set with mu held), for the
	// apply functions that record who did something.
	applying eventbus.Delivery
}

type visitRef struct{ episode, visit string }

type episode struct {
	view     EpisodeView
	revision int64
	visitIdx map[string]int
}

// New returns an empty projection.
func New(reg *locality.Registry) *Caseload {
	return &Caseload{
		reg: reg, episodes: map[string]*episode{}, byPatient: map[string][]string{},
		byLocality: map[string]map[string]bool{}, byClinician: map[string]map[visitRef]bool{},
		changed: make(chan struct{}),
	}
}

// Handlers are the projection's event handlers, one per event type, to
// register as one group so that it sees its events in log order.
func (c *Caseload) Handlers() []cqrs.GroupEventHandler {
	return []cqrs.GroupEventHandler{
		handle(c, c.onEpisodeOpened),
		handle(c, c.onKeyworkerAssigned),
		handle(c, c.onVisitsScheduled),
		handle(c, c.onVisitOutcomeRecorded),
		handle(c, c.onVisitsReassigned),
		handle(c, c.onCarePlanUpdated),
		handle(c, c.onEpisodeActivated),
		handle(c, c.onReviewStarted),
		handle(c, c.onMdtDiscussionRecorded),
		handle(c, c.onReviewConcluded),
		handle(c, c.onEpisodeSuspended),
		handle(c, c.onEpisodeResumed),
		handle(c, c.onEpisodeTransferred),
		handle(c, c.onEpisodeDischarged),
		handle(c, c.onDeathRecorded),
		// The beds events change nothing here. They are followed so that
		// Progress passes their positions: a reaction to an admission waits
		// until the projection has applied everything before it, and so
		// finds the patient's episodes even while the projection is still
		// rebuilding after a restart.
		cqrs.NewGroupEventHandler(func(ctx context.Context, _ *inbound.PatientAdmitted) error { c.advance(ctx); return nil }),
		cqrs.NewGroupEventHandler(func(ctx context.Context, _ *inbound.PatientDischarged) error { c.advance(ctx); return nil }),
	}
}

type event interface{ EventType() string }

// handle adapts an apply function to a cqrs handler. The episode is the
// event's stream; an event at or below the revision already applied is a
// redelivery and is skipped. apply returns the history entry's summary.
func handle[E event](c *Caseload, apply func(*episode, E) string) cqrs.GroupEventHandler {
	return cqrs.NewGroupEventHandler(func(ctx context.Context, ev *E) error {
		d, ok := eventbus.DeliveryFrom(ctx)
		if !ok {
			return fmt.Errorf("readmodel: %s delivered without its position", (*ev).EventType())
		}
		id, ok := strings.CutPrefix(d.Stream, domain.Category+"-")
		if !ok {
			return fmt.Errorf("readmodel: %s in stream %s, not an episode stream", (*ev).EventType(), d.Stream)
		}
		c.mu.Lock()
		ep := c.episodes[id]
		if ep == nil {
			ep = &episode{revision: -1, visitIdx: map[string]int{}}
		}
		if int64(d.Revision) > ep.revision {
			if ep.revision == -1 {
				// The first event opens the episode; anything else first
				// means a stream this projection cannot make sense of.
				if _, opens := any(*ev).(domain.EpisodeOpened); !opens {
					c.mu.Unlock()
					return fmt.Errorf("readmodel: %s before the episode was opened in %s", (*ev).EventType(), d.Stream)
				}
				c.episodes[id] = ep
			}
			c.applying = d
			summary := apply(ep, *ev)
			ep.revision = int64(d.Revision)
			ep.view.Version = ep.revision
			ep.view.History = append(ep.view.History, HistoryEntry{At: domain.OccurredAt(*ev), Type: (*ev).EventType(),
				Summary: summary, Actor: d.Actor, EpisodeID: id, Revision: d.Revision})
			close(c.changed)
			c.changed = make(chan struct{})
		}
		c.mu.Unlock()
		c.Progress.Advance(d.Position)
		return nil
	})
}

func (c *Caseload) advance(ctx context.Context) {
	if d, ok := eventbus.DeliveryFrom(ctx); ok {
		c.Progress.Advance(d.Position)
	}
}

// indexVisit files a visit under the clinician who is to make it.
// Called with mu held.
func (c *Caseload) indexVisit(episodeID, visitID, from, to string) {
	ref := visitRef{episodeID, visitID}
	if from != "" {
		delete(c.byClinician[from], ref)
	}
	if c.byClinician[to] == nil {
		c.byClinician[to] = map[visitRef]bool{}
	}
	c.byClinician[to][ref] = true
}

// WaitForEpisode blocks until the episode has applied the given stream
// revision or ctx ends: read-your-writes for a repeated command, which has
// no new position to wait for.
func (c *Caseload) WaitForEpisode(ctx context.Context, id string, revision int64) error {
	for {
		c.mu.RLock()
		ep, ch := c.episodes[id], c.changed
		done := ep != nil && ep.revision >= revision
		c.mu.RUnlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Episode returns an episode by ID.
func (c *Caseload) Episode(id string, now time.Time) (EpisodeView, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ep, ok := c.episodes[id]
	if !ok {
		return EpisodeView{}, false
	}
	return ep.view.clone().withClock(domain.DateOf(now)), true
}

// LocalityOf is the locality of an episode, without copying its view.
func (c *Caseload) LocalityOf(id string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ep, ok := c.episodes[id]
	if !ok {
		return "", false
	}
	return ep.view.LocalityID, true
}

// PatientEpisodes returns a patient's episodes, newest first, that pass
// visible (the caller's reach).
func (c *Caseload) PatientEpisodes(nhs string, visible func(locality string) bool, now time.Time) []EpisodeView {
	c.mu.RLock()
	defer c.mu.RUnlock()
	today := domain.DateOf(now)
	var out []EpisodeView
	for _, id := range c.byPatient[nhs] {
		ep := c.episodes[id]
		if visible(ep.view.LocalityID) {
			out = append(out, ep.view.clone().withClock(today))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].OpenedAt.After(out[j].OpenedAt) })
	return out
}

// OpenEpisodesOf lists a patient's episodes still on a caseload, in any
// locality: what an admission suspends and a discharge resumes.
func (c *Caseload) OpenEpisodesOf(nhs string) []OpenEpisode {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []OpenEpisode
	for _, id := range c.byPatient[nhs] {
		v := c.episodes[id].view
		if v.Open() {
			o := OpenEpisode{ID: v.ID, Status: v.Status, Locality: v.LocalityID}
			if v.Suspension != nil {
				o.StayID = v.Suspension.StayID
			}
			out = append(out, o)
		}
	}
	return out
}

// LocalityEpisodes returns a locality's episodes whose status is in
// statuses (all open ones when statuses is empty), oldest first.
func (c *Caseload) LocalityEpisodes(loc string, statuses []string, now time.Time) []EpisodeView {
	c.mu.RLock()
	defer c.mu.RUnlock()
	today := domain.DateOf(now)
	var out []EpisodeView
	for id := range c.byLocality[loc] {
		v := &c.episodes[id].view
		if (len(statuses) == 0 && v.Open()) || slices.Contains(statuses, v.Status) {
			out = append(out, v.clone().withClock(today))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].OpenedAt.Equal(out[j].OpenedAt) {
			return out[i].OpenedAt.Before(out[j].OpenedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// VisitList is a clinician's visits planned on a (London) day, in any
// status, in time order, in the localities visible passes.
func (c *Caseload) VisitList(clinicianID string, day domain.Date, visible func(locality string) bool, now time.Time) []VisitListItem {
	c.mu.RLock()
	defer c.mu.RUnlock()
	today := domain.DateOf(now)
	var out []VisitListItem
	for ref := range c.byClinician[clinicianID] {
		ep := c.episodes[ref.episode]
		if !visible(ep.view.LocalityID) {
			continue
		}
		vis := ep.view.Visits[ep.visitIdx[ref.visit]]
		if domain.DateOf(vis.PlannedAt) != day {
			continue
		}
		view := ep.view.clone().withClock(today)
		out = append(out, VisitListItem{Visit: view.Visits[ep.visitIdx[ref.visit]], Episode: view})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Visit.PlannedAt.Equal(out[j].Visit.PlannedAt) {
			return out[i].Visit.PlannedAt.Before(out[j].Visit.PlannedAt)
		}
		return out[i].Visit.ID < out[j].Visit.ID
	})
	return out
}

// KeyworkerCaseload is the team lead's view of a locality: per clinician,
// the open episodes they are keyworker for, the visits they are to make
// that are due today or overdue, the reviews overdue and the patients in a
// bed; first a row without a keyworker for the episodes awaiting one.
// Visits count against who is to make them, which after a reassignment may
// not be the keyworker.
func (c *Caseload) KeyworkerCaseload(loc string, now time.Time) []KeyworkerLoad {
	c.mu.RLock()
	defer c.mu.RUnlock()
	today := domain.DateOf(now)
	rows := map[string]*KeyworkerLoad{}
	unallocated := &KeyworkerLoad{}
	row := func(k domain.Clinician) *KeyworkerLoad {
		r := rows[k.ID]
		if r == nil {
			kk := k
			r = &KeyworkerLoad{Keyworker: &kk}
			rows[k.ID] = r
		}
		return r
	}
	for id := range c.byLocality[loc] {
		v := &c.episodes[id].view
		if !v.Open() {
			continue
		}
		r := unallocated
		if v.Keyworker != nil {
			r = row(*v.Keyworker)
		}
		r.Episodes++
		if v.Status == string(domain.Suspended) {
			r.PatientsAdmitted++
			continue
		}
		if reviewOverdue(v, today) {
			r.ReviewsOverdue++
		}
		for _, vis := range v.Visits {
			if vis.Status != string(domain.VisitPlanned) {
				continue
			}
			switch d := domain.DateOf(vis.PlannedAt); {
			case d == today:
				row(vis.Clinician).VisitsDueToday++
			case d.Before(today):
				row(vis.Clinician).VisitsOverdue++
			}
		}
	}
	out := []KeyworkerLoad{*unallocated}
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out[1:], func(i, j int) bool {
		a, b := out[1+i].Keyworker, out[1+j].Keyworker
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	return out
}

// Summary is the locality's caseload in numbers.
func (c *Caseload) Summary(loc string, now time.Time) LocalitySummary {
	s := LocalitySummary{LocalityID: loc}
	for _, r := range c.KeyworkerCaseload(loc, now) {
		s.Size += r.Episodes
		s.PatientsAdmitted += r.PatientsAdmitted
		s.VisitsDueToday += r.VisitsDueToday
		s.VisitsOverdue += r.VisitsOverdue
		s.ReviewsOverdue += r.ReviewsOverdue
		if r.Keyworker == nil {
			s.AwaitingAllocation = r.Episodes
		}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for id := range c.byLocality[loc] {
		switch c.episodes[id].view.Status {
		case string(domain.Active):
			s.Active++
		case string(domain.UnderReview):
			s.UnderReview++
		}
	}
	return s
}

// Timeline is a patient's caseload history across their visible episodes,
// in time order.
func (c *Caseload) Timeline(nhs string, visible func(locality string) bool) []HistoryEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []HistoryEntry
	for _, id := range c.byPatient[nhs] {
		ep := c.episodes[id]
		if visible(ep.view.LocalityID) {
			out = append(out, ep.view.History...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		if out[i].EpisodeID != out[j].EpisodeID {
			return out[i].EpisodeID < out[j].EpisodeID
		}
		return out[i].Revision < out[j].Revision
	})
	return out
}

// WaitFor blocks until the projection has applied the log up to pos.
func (c *Caseload) WaitFor(ctx context.Context, pos eventstore.Position) error {
	return c.Progress.WaitFor(ctx, pos)
}
