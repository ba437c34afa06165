package app

import (
	"context"
	"time"

	"carecoord/pkg/audit"
	"carecoord/pkg/auth"
	"carecoord/pkg/locality"
	"carecoord/services/caseload/readmodel"
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

// touch records that the episodes' patients are shown (see pkg/audit).
func touch(ctx context.Context, eps ...readmodel.EpisodeView) {
	for _, e := range eps {
		audit.Touch(ctx, e.Patient.NHSNumber)
	}
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
