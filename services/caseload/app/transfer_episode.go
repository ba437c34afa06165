package app

import (
	"context"

	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// TransferEpisode hands care to another locality's team or another
// service. A transfer to a locality opens an episode there (the
// OpenEpisodeOnTransfer reaction); the clinicians of this locality no
// longer reach the patient's care once it has moved.
type TransferEpisode struct {
	EpisodeID       string  `json:"episodeId"`
	ToLocalityID    string  `json:"toLocalityId"`
	ToService       string  `json:"toService"`
	At              *string `json:"at"`
	ExpectedVersion *int64  `json:"expectedVersion"`
}

// TransferEpisodeHandler handles TransferEpisode.
type TransferEpisodeHandler struct{ s *episodes }

// Handle runs the command.
func (h TransferEpisodeHandler) Handle(ctx context.Context, commandID string, in TransferEpisode) (readmodel.EpisodeView, error) {
	to := ""
	if in.ToLocalityID != "" {
		loc, err := h.s.reg.Must("toLocalityId", in.ToLocalityID)
		if err != nil {
			return readmodel.EpisodeView{}, err
		}
		to = string(loc)
	}
	w, err := h.s.at(ctx, "at", in.At)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	return h.s.step(ctx, commandID, in.EpisodeID, in.ExpectedVersion, w, func(e *domain.Episode) ([]domain.Event, error) {
		return e.Transfer(to, in.ToService, w.at)
	})
}
