package app

import (
	"context"

	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// DischargeEpisode takes the patient off the caseload with an outcome.
type DischargeEpisode struct {
	EpisodeID       string  `json:"episodeId"`
	Outcome         string  `json:"outcome"`
	At              *string `json:"at"`
	ExpectedVersion *int64  `json:"expectedVersion"`
}

// DischargeEpisodeHandler handles DischargeEpisode.
type DischargeEpisodeHandler struct{ s *episodes }

// Handle runs the command.
func (h DischargeEpisodeHandler) Handle(ctx context.Context, commandID string, in DischargeEpisode) (readmodel.EpisodeView, error) {
	outcome, err := domain.ParseDischargeOutcome("outcome", in.Outcome)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	w, err := h.s.at(ctx, "at", in.At)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	return h.s.step(ctx, commandID, in.EpisodeID, in.ExpectedVersion, w, func(e *domain.Episode) ([]domain.Event, error) {
		return e.Discharge(outcome, w.at)
	})
}
