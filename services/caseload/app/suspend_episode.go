package app

import (
	"context"

	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// SuspendEpisode pauses care while the patient is admitted. The beds
// reaction suspends for a community bed stay; a clinician records an acute,
// hospice or respite admission by hand.
type SuspendEpisode struct {
	EpisodeID       string  `json:"episodeId"`
	Reason          string  `json:"reason"`
	StayID          string  `json:"stayId"`
	HospitalID      string  `json:"hospitalId"`
	At              *string `json:"at"`
	ExpectedVersion *int64  `json:"expectedVersion"`
}

// SuspendEpisodeHandler handles SuspendEpisode.
type SuspendEpisodeHandler struct{ s *episodes }

// Handle runs the command.
func (h SuspendEpisodeHandler) Handle(ctx context.Context, commandID string, in SuspendEpisode) (readmodel.EpisodeView, error) {
	reason, err := domain.ParseSuspensionReason("reason", in.Reason)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	w, err := h.s.at(ctx, "at", in.At)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	return h.s.step(ctx, commandID, in.EpisodeID, in.ExpectedVersion, w, func(e *domain.Episode) ([]domain.Event, error) {
		return e.Suspend(domain.Suspension{Reason: reason, StayID: in.StayID, HospitalID: in.HospitalID, At: w.at})
	})
}
