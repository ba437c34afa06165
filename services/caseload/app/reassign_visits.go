package app

import (
	"context"

	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// ReassignVisits moves planned visits of one episode to another clinician.
type ReassignVisits struct {
	EpisodeID       string   `json:"episodeId"`
	VisitIDs        []string `json:"visitIds"`
	ClinicianID     string   `json:"clinicianId"`
	ClinicianName   string   `json:"clinicianName"`
	ExpectedVersion *int64   `json:"expectedVersion"`
}

// ReassignVisitsHandler handles ReassignVisits.
type ReassignVisitsHandler struct{ s *episodes }

// Handle moves the visits and returns them.
func (h ReassignVisitsHandler) Handle(ctx context.Context, commandID string, in ReassignVisits) ([]readmodel.VisitView, readmodel.EpisodeView, error) {
	to, err := domain.NewClinician("clinician", in.ClinicianID, in.ClinicianName)
	if err != nil {
		return nil, readmodel.EpisodeView{}, err
	}
	now := h.s.now()
	ep, err := h.s.step(ctx, commandID, in.EpisodeID, in.ExpectedVersion, when{"at", now}, func(e *domain.Episode) ([]domain.Event, error) {
		return e.ReassignVisits(in.VisitIDs, to, now)
	})
	if err != nil {
		return nil, readmodel.EpisodeView{}, err
	}
	return visitsOf(ep, in.VisitIDs), ep, nil
}
