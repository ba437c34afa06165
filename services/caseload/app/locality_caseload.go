package app

import (
	"context"

	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// LocalityCaseloadHandler reads a locality's caseload.
type LocalityCaseloadHandler struct{ q queries }

// Handle returns the locality's episodes in the given statuses (the open
// ones when none are given), oldest first.
func (h LocalityCaseloadHandler) Handle(ctx context.Context, localityID string, statuses []string) ([]readmodel.EpisodeView, error) {
	loc, err := h.q.locality(ctx, "localityId", localityID)
	if err != nil {
		return nil, err
	}
	for _, s := range statuses {
		if _, err := domain.ParseStatus("status", s); err != nil {
			return nil, err
		}
	}
	eps := h.q.rm.LocalityEpisodes(loc, statuses, h.q.now())
	touch(ctx, eps...)
	return eps, nil
}
