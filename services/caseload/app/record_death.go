package app

import (
	"context"

	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// RecordDeath closes the episode: the patient died.
type RecordDeath struct {
	EpisodeID       string `json:"episodeId"`
	DateOfDeath     string `json:"dateOfDeath"`
	ExpectedVersion *int64 `json:"expectedVersion"`
}

// RecordDeathHandler handles RecordDeath.
type RecordDeathHandler struct{ s *episodes }

// Handle runs the command.
func (h RecordDeathHandler) Handle(ctx context.Context, commandID string, in RecordDeath) (readmodel.EpisodeView, error) {
	date, err := domain.ParseDate("dateOfDeath", in.DateOfDeath)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	now := h.s.now()
	return h.s.step(ctx, commandID, in.EpisodeID, in.ExpectedVersion, when{"at", now}, func(e *domain.Episode) ([]domain.Event, error) {
		return e.RecordDeath(date, now)
	})
}
