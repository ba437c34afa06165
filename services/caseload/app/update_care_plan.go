package app

import (
	"context"

	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// UpdateCarePlan agrees a new version of the care plan: its goals and the
// date it is next reviewed. The first version makes the episode active.
type UpdateCarePlan struct {
	EpisodeID      string   `json:"episodeId"`
	Goals          []string `json:"goals"`
	NextReviewDate string   `json:"nextReviewDate"`
	// AgreedAt is when the plan was agreed (default now), for a plan agreed
	// at a visit and written up later.
	AgreedAt        *string `json:"agreedAt"`
	ExpectedVersion *int64  `json:"expectedVersion"`
}

// UpdateCarePlanHandler handles UpdateCarePlan.
type UpdateCarePlanHandler struct{ s *episodes }

// Handle runs the command.
func (h UpdateCarePlanHandler) Handle(ctx context.Context, commandID string, in UpdateCarePlan) (readmodel.EpisodeView, error) {
	review, err := domain.ParseDate("nextReviewDate", in.NextReviewDate)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	w, err := h.s.at(ctx, "agreedAt", in.AgreedAt)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	return h.s.step(ctx, commandID, in.EpisodeID, in.ExpectedVersion, w, func(e *domain.Episode) ([]domain.Event, error) {
		return e.UpdateCarePlan(in.Goals, review, w.at)
	})
}
