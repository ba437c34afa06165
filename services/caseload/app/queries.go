package app

import (
	"context"
	"time"

	"carecoord/pkg/auth"
	"carecoord/pkg/locality"
)

// queries is what every query shares.
type queries struct {
	rm  ReadModel
	reg *locality.Registry
	now func() time.Time
}

// viewer returns the viewer if their role may read caseloads.
func (q queries) viewer(ctx context.Context) (auth.Viewer, error) {
	return auth.RequireRole(ctx, caseloadRoles...)
}

// locality validates a locality the viewer asks about by ID: unknown is
// invalid input, out of reach is forbidden.
func (q queries) locality(ctx context.Context, field, id string) (string, error) {
	v, err := q.viewer(ctx)
	if err != nil {
		return "", err
	}
	loc, err := q.reg.Must(field, id)
	if err != nil {
		return "", err
	}
	if err := v.RequireLocality(string(loc)); err != nil {
		return "", err
	}
	return string(loc), nil
}
