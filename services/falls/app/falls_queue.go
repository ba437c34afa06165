package app

import (
	"context"
	"sort"

	"carecoord/pkg/auth"
	"carecoord/services/falls/readmodel"
)

// FallsQueue is the dispatcher's live queue: every open incident, red flags
// first, then untriaged alerts, then level 2, then level 1, then those with
// only closing left; within a rank, the longest on the floor first. A
// clinician sees only their localities' patients.
func (q Queries) FallsQueue(ctx context.Context) ([]FallView, error) {
	v, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	out := q.c.open(v, func(*readmodel.Incident) bool { return true })
	sortQueue(out)
	touch(ctx, out...)
	return out, nil
}

// FallsOverOneHour is the open incidents whose patient has been (or was)
// on the floor for more than an hour, the longest first.
func (q Queries) FallsOverOneHour(ctx context.Context) ([]FallView, error) {
	v, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	out := []FallView{}
	for _, f := range q.c.open(v, func(*readmodel.Incident) bool { return true }) {
		if f.OverOneHour {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].TimeOnFloor != out[b].TimeOnFloor {
			return out[a].TimeOnFloor > out[b].TimeOnFloor
		}
		return out[a].ID < out[b].ID
	})
	touch(ctx, out...)
	return out, nil
}

// open is the viewer's open incidents that keep accepts, with the clock
// read once so that they are all measured at the same moment.
func (c *core) open(v auth.Viewer, keep func(*readmodel.Incident) bool) []FallView {
	now := c.now()
	incs := c.Board.Incidents(func(i *readmodel.Incident) bool {
		return i.Status.Open() && v.Reaches(i.Locality) && keep(i)
	})
	out := make([]FallView, len(incs))
	for n, i := range incs {
		out[n] = newFallView(i, now)
	}
	return out
}
