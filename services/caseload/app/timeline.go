package app

import (
	"context"

	"carecoord/pkg/audit"
	"carecoord/pkg/nhsnumber"
	"carecoord/services/caseload/readmodel"
)

// TimelineHandler reads a patient's caseload timeline.
type TimelineHandler struct{ q queries }

// Handle returns what happened in the patient's episodes in the localities
// the viewer reaches (any, with break-glass: this is one patient's record),
// in time order.
func (h TimelineHandler) Handle(ctx context.Context, nhs string) ([]readmodel.HistoryEntry, error) {
	v, err := h.q.viewer(ctx)
	if err != nil {
		return nil, err
	}
	n, err := nhsnumber.Parse(nhs)
	if err != nil {
		return nil, err
	}
	entries := h.q.rm.Timeline(n.String(), v.Opens)
	if len(entries) > 0 {
		audit.Touch(ctx, n.String())
	}
	return entries, nil
}
