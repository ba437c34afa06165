package app

import (
	"context"

	"carecoord/pkg/errs"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// RecordVisitOutcome settles a planned visit: COMPLETED, CANCELLED (with a
// reason), NO_ACCESS or DECLINED. At is when it happened (default now).
type RecordVisitOutcome struct {
	EpisodeID          string  `json:"episodeId"`
	VisitID            string  `json:"visitId"`
	Outcome            string  `json:"outcome"`
	CancellationReason string  `json:"cancellationReason"`
	At                 *string `json:"at"`
	ExpectedVersion    *int64  `json:"expectedVersion"`
}

// RecordVisitOutcomeHandler handles RecordVisitOutcome.
type RecordVisitOutcomeHandler struct{ s *episodes }

// Handle records the outcome and returns the visit and its episode.
func (h RecordVisitOutcomeHandler) Handle(ctx context.Context, commandID string, in RecordVisitOutcome) (readmodel.VisitView, readmodel.EpisodeView, error) {
	outcome, err := domain.ParseVisitOutcome("outcome", in.Outcome)
	if err != nil {
		return readmodel.VisitView{}, readmodel.EpisodeView{}, err
	}
	var reason domain.CancellationReason
	if in.CancellationReason != "" {
		if reason, err = domain.ParseCancellationReason("cancellationReason", in.CancellationReason); err != nil {
			return readmodel.VisitView{}, readmodel.EpisodeView{}, err
		}
	}
	w, err := h.s.at(ctx, "at", in.At)
	if err != nil {
		return readmodel.VisitView{}, readmodel.EpisodeView{}, err
	}
	now := h.s.now()
	ep, err := h.s.step(ctx, commandID, in.EpisodeID, in.ExpectedVersion, w, func(e *domain.Episode) ([]domain.Event, error) {
		return e.RecordVisitOutcome(in.VisitID, outcome, reason, w.at, now)
	})
	if err != nil {
		return readmodel.VisitView{}, readmodel.EpisodeView{}, err
	}
	vs := visitsOf(ep, []string{in.VisitID})
	if len(vs) == 0 {
		return readmodel.VisitView{}, readmodel.EpisodeView{}, errs.Internal("the change was recorded but cannot be shown yet: reload in a moment", nil)
	}
	return vs[0], ep, nil
}
