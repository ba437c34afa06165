package app

import (
	"context"
	"strconv"
	"strings"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/audit"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/pkg/locality"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// readYourWrites bounds how long a command waits for the read model to show
// what it wrote.
const readYourWrites = 2 * time.Second

// episodes is what every episode command shares.
type episodes struct {
	repo *aggregate.Repository[*domain.Episode]
	rm   ReadModel
	reg  *locality.Registry
	now  func() time.Time
}

// caseloadRoles may read and change caseloads (admin and system have every
// role). Bed managers and falls dispatchers see none of it here.
var caseloadRoles = []auth.Role{auth.ICTClinician}

// when is a step's business time and the input field it came from.
type when struct {
	field string
	at    time.Time
}

// step runs one command on an existing episode: the viewer must reach the
// episode's locality, expectedVersion (when given) must match, the business
// time must not be before the episode opened, then decide runs on the
// loaded state.
func (s *episodes) step(ctx context.Context, commandID, episodeID string, expected *int64, w when,
	decide func(e *domain.Episode) ([]aggregate.Event, error)) (readmodel.EpisodeView, error) {
	viewer, err := auth.RequireRole(ctx, caseloadRoles...)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	episodeID = strings.TrimSpace(episodeID)
	if episodeID == "" {
		return readmodel.EpisodeView{}, errs.Invalid("episodeId", "is required", "episode-id-required")
	}
	// The locality never changes after opening, so the read model's copy
	// is good for the event metadata; the reach check below uses the
	// loaded state.
	loc, _ := s.rm.LocalityOf(episodeID)
	res, err := s.repo.Execute(ctx, episodeID, aggregate.Command{ID: commandID, Actor: viewer.Subject, Locality: loc, At: w.at},
		func(e *domain.Episode, exists bool) ([]aggregate.Event, error) {
			if !exists {
				return nil, errs.NotFound("there is no such caseload episode", "episode-not-found")
			}
			if err := viewer.RequireLocality(e.Locality()); err != nil {
				return nil, err
			}
			if expected != nil && *expected != e.Version() {
				return nil, errs.Conflict("the episode changed since you loaded it: reload it and try again", "stale-version")
			}
			if w.at.Before(e.Opened().OpenedAt) {
				return nil, errs.Invalid(w.field, "is before the episode was opened", "time-before-opened")
			}
			return decide(e)
		})
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	if res.Repeated {
		// A repeat skips decide: check reach here, so a commandId cannot
		// be used to read an episode out of reach.
		if err := viewer.RequireLocality(res.State.Locality()); err != nil {
			return readmodel.EpisodeView{}, err
		}
	}
	return s.view(ctx, episodeID, res)
}

// view waits until the read model shows the result, then returns it.
func (s *episodes) view(ctx context.Context, id string, res aggregate.Result[*domain.Episode]) (readmodel.EpisodeView, error) {
	wctx, cancel := context.WithTimeout(ctx, readYourWrites)
	defer cancel()
	var err error
	if res.Position > 0 {
		err = s.rm.WaitFor(wctx, res.Position)
	} else {
		err = s.rm.WaitForEpisode(wctx, id, res.Version)
	}
	v, ok := s.rm.Episode(id, s.now())
	if !ok {
		return readmodel.EpisodeView{}, errs.Internal("the change was recorded but cannot be shown yet: reload in a moment", err)
	}
	audit.Touch(ctx, v.Patient.NHSNumber)
	return v, nil
}

// lateEntry is how far back a business time may be given: care written up
// after the event is normal, a year-old typo is not.
const lateEntry = 14 * 24 * time.Hour

// at is the business time given in input (not in the future, not more than
// lateEntry ago), or now. Times from carecoord's own reactions are facts
// another service recorded, perhaps long ago if the event is replayed:
// they are taken as given.
func (s *episodes) at(ctx context.Context, field string, in *string) (when, error) {
	if in == nil || *in == "" {
		return when{field, s.now()}, nil
	}
	t, err := time.Parse(time.RFC3339, *in)
	if err != nil {
		return when{}, errs.Invalid(field, "must be an RFC 3339 time such as 2026-11-23T09:30:00Z", "time-format")
	}
	if v, _ := auth.From(ctx); v.Role == auth.System {
		return when{field, t.UTC()}, nil
	}
	if t.After(s.now().Add(5 * time.Minute)) {
		return when{}, errs.Invalid(field, "cannot be in the future", "time-future")
	}
	if t.Before(s.now().Add(-lateEntry)) {
		return when{}, errs.Invalid(field, "is more than 14 days ago", "time-too-early")
	}
	return when{field, t.UTC()}, nil
}

// derivedID names something a command creates (a visit, a discussion) so
// that a repeated command creates the same thing.
func derivedID(kind, episodeID, commandID string, i int) string {
	if commandID == "" {
		return aggregate.DeterministicID(kind, "")
	}
	return aggregate.DeterministicID(kind, episodeID+"/"+commandID+"/"+strconv.Itoa(i))
}
