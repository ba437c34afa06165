package app

import (
	"context"

	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// ResumeEpisode restarts care when the patient is home again.
type ResumeEpisode struct {
	EpisodeID       string  `json:"episodeId"`
	At              *string `json:"at"`
	ExpectedVersion *int64  `json:"expectedVersion"`
}

// ResumeEpisodeHandler handles ResumeEpisode.
type ResumeEpisodeHandler struct{ s *episodes }

// Handle runs the command.
func (h ResumeEpisodeHandler) Handle(ctx context.Context, commandID string, in ResumeEpisode) (readmodel.EpisodeView, error) {
	w, err := h.s.at(ctx, "at", in.At)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	return h.s.step(ctx, commandID, in.EpisodeID, in.ExpectedVersion, w, func(e *domain.Episode) ([]domain.Event, error) {
		return e.Resume(w.at)
	})
}
