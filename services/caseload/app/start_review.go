package app

import (
	"context"

	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// StartReview brings an active episode to the MDT for review.
type StartReview struct {
	EpisodeID       string  `json:"episodeId"`
	Reason          string  `json:"reason"`
	At              *string `json:"at"`
	ExpectedVersion *int64  `json:"expectedVersion"`
}

// StartReviewHandler handles StartReview.
type StartReviewHandler struct{ s *episodes }

// Handle runs the command.
func (h StartReviewHandler) Handle(ctx context.Context, commandID string, in StartReview) (readmodel.EpisodeView, error) {
	reason, err := domain.ParseReviewReason("reason", in.Reason)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	w, err := h.s.at(ctx, "at", in.At)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	return h.s.step(ctx, commandID, in.EpisodeID, in.ExpectedVersion, w, func(e *domain.Episode) ([]domain.Event, error) {
		return e.StartReview(reason, w.at)
	})
}
