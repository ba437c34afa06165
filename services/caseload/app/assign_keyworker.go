package app

import (
	"context"

	"carecoord/pkg/locality"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// AssignKeyworker names an episode's keyworker and team. The team defaults
// to the locality's integrated care team.
type AssignKeyworker struct {
	EpisodeID       string  `json:"episodeId"`
	KeyworkerID     string  `json:"keyworkerId"`
	KeyworkerName   string  `json:"keyworkerName"`
	Team            string  `json:"team"`
	At              *string `json:"at"`
	ExpectedVersion *int64  `json:"expectedVersion"`
}

// AssignKeyworkerHandler handles AssignKeyworker.
type AssignKeyworkerHandler struct{ s *episodes }

// Handle runs the command.
func (h AssignKeyworkerHandler) Handle(ctx context.Context, commandID string, in AssignKeyworker) (readmodel.EpisodeView, error) {
	k, err := domain.NewClinician("keyworker", in.KeyworkerID, in.KeyworkerName)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	w, err := h.s.at(ctx, "at", in.At)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	return h.s.step(ctx, commandID, in.EpisodeID, in.ExpectedVersion, w, func(e *domain.Episode) ([]domain.Event, error) {
		team := in.Team
		if team == "" {
			if l, ok := h.s.reg.Get(locality.ID(e.Locality())); ok {
				team = l.ICT
			}
		}
		return e.AssignKeyworker(k, team, w.at)
	})
}
