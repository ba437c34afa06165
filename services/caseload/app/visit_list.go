package app

import (
	"context"
	"strings"

	"carecoord/pkg/errs"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// VisitListHandler reads a clinician's visits for a day.
type VisitListHandler struct{ q queries }

// Handle returns the clinician's visits planned on the (London) date, in
// time order, in the localities the viewer reaches.
func (h VisitListHandler) Handle(ctx context.Context, clinicianID, date string) ([]readmodel.VisitListItem, error) {
	v, err := h.q.viewer(ctx)
	if err != nil {
		return nil, err
	}
	clinicianID = strings.TrimSpace(clinicianID)
	if clinicianID == "" {
		return nil, errs.Invalid("clinicianId", "is required", "clinician-id-required")
	}
	day, err := domain.ParseDate("date", date)
	if err != nil {
		return nil, err
	}
	items := h.q.rm.VisitList(clinicianID, day, v.Reaches, h.q.now())
	for _, it := range items {
		touch(ctx, it.Episode)
	}
	return items, nil
}
