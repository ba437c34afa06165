package app

import (
	"context"
	"strings"

	"carecoord/pkg/auth"
)

// FallIncident is one incident, for a dispatcher or a clinician of the
// patient's locality (or one who broke glass: one record, read by ID).
func (q Queries) FallIncident(ctx context.Context, id string) (FallView, error) {
	return q.incident(ctx, id, auth.Viewer.RequireOpens)
}

// CommittedIncident is the incident a responder is committed to, as the
// responders list shows it: a list, so within the viewer's reach, which
// break-glass does not widen.
func (q Queries) CommittedIncident(ctx context.Context, id string) (FallView, error) {
	return q.incident(ctx, id, auth.Viewer.RequireLocality)
}

func (q Queries) incident(ctx context.Context, id string, require func(auth.Viewer, string) error) (FallView, error) {
	v, err := reader(ctx)
	if err != nil {
		return FallView{}, err
	}
	inc, ok := q.c.Board.Incident(strings.TrimSpace(id))
	if !ok {
		return FallView{}, errIncidentNotFound
	}
	if err := require(v, inc.Locality); err != nil {
		return FallView{}, err
	}
	view := newFallView(inc, q.c.now())
	touch(ctx, view)
	return view, nil
}
