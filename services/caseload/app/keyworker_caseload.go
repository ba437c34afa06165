package app

import (
	"context"

	"carecoord/services/caseload/readmodel"
)

// KeyworkerCaseloadHandler reads the team lead's view of a locality.
type KeyworkerCaseloadHandler struct{ q queries }

// Handle returns one row per clinician (and one for the episodes awaiting
// a keyworker): caseload size, visits due today and overdue, reviews
// overdue, patients in a bed.
func (h KeyworkerCaseloadHandler) Handle(ctx context.Context, localityID string) ([]readmodel.KeyworkerLoad, error) {
	loc, err := h.q.locality(ctx, "localityId", localityID)
	if err != nil {
		return nil, err
	}
	return h.q.rm.KeyworkerCaseload(loc, h.q.now()), nil
}

// LocalitySummaryHandler reads a locality's caseload in numbers.
type LocalitySummaryHandler struct{ q queries }

// Handle returns the summary.
func (h LocalitySummaryHandler) Handle(ctx context.Context, localityID string) (readmodel.LocalitySummary, error) {
	loc, err := h.q.locality(ctx, "localityId", localityID)
	if err != nil {
		return readmodel.LocalitySummary{}, err
	}
	return h.q.rm.Summary(loc, h.q.now()), nil
}
