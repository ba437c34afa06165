package app

import (
	"context"
	"strings"

	"carecoord/pkg/errs"
)

// Responders is every unit with its state, in call-sign order. It holds no
// patient data; the incident a unit is at is checked when it is read.
func (q Queries) Responders(ctx context.Context) ([]ResponderView, error) {
	if _, err := reader(ctx); err != nil {
		return nil, err
	}
	all := q.c.Units.All()
	out := make([]ResponderView, len(all))
	for i, u := range all {
		out[i] = q.c.responderView(u)
	}
	return out, nil
}

// Responder is one unit with its state.
func (q Queries) Responder(ctx context.Context, id string) (ResponderView, error) {
	if _, err := reader(ctx); err != nil {
		return ResponderView{}, err
	}
	u, ok := q.c.Units.Get(strings.TrimSpace(id))
	if !ok {
		return ResponderView{}, errs.NotFound("no such falls responder unit", "responder-not-found")
	}
	return q.c.responderView(u), nil
}
