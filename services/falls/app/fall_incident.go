package app

import (
	"context"
	"strings"
)

// FallIncident is one incident, for a dispatcher or a clinician of the
// patient's locality.
func (q Queries) FallIncident(ctx context.Context, id string) (FallView, error) {
	v, err := reader(ctx)
	if err != nil {
		return FallView{}, err
	}
	inc, ok := q.c.Board.Incident(strings.TrimSpace(id))
	if !ok {
		return FallView{}, errIncidentNotFound
	}
	if err := v.RequireLocality(inc.Locality); err != nil {
		return FallView{}, err
	}
	view := newFallView(inc, q.c.now())
	touch(ctx, view)
	return view, nil
}
