package app

import (
	"context"
	"time"

	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// OpenTransferredEpisode opens, in the receiving locality, the episode that
// continues one transferred there. The OpenEpisodeOnTransfer reaction runs
// it.
type OpenTransferredEpisode struct {
	FromEpisodeID string
	TransferredAt time.Time
}

// OpenTransferredEpisodeHandler handles OpenTransferredEpisode.
type OpenTransferredEpisodeHandler struct{ s *episodes }

// Handle opens the receiving episode, awaiting a keyworker there, with the
// patient and reason of the episode it continues.
func (h OpenTransferredEpisodeHandler) Handle(ctx context.Context, commandID string, in OpenTransferredEpisode) (readmodel.EpisodeView, error) {
	viewer, err := auth.RequireRole(ctx, caseloadRoles...)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	from, _, err := h.s.repo.Load(ctx, in.FromEpisodeID)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	to := from.TransferredToLocality()
	if from.Status() != domain.Transferred || to == "" {
		return readmodel.EpisodeView{}, errs.IllegalStep("open an episode from a transfer", string(from.Status()), "not-transferred-to-locality")
	}
	if err := viewer.RequireLocality(to); err != nil {
		return readmodel.EpisodeView{}, err
	}
	o := from.Opened()
	return h.s.open(ctx, viewer, commandID, EpisodeIDForTransfer(in.FromEpisodeID), domain.NewEpisodeInput{
		Patient: o.Patient, Locality: to, TransferredFromEpisodeID: in.FromEpisodeID, ServiceRequested: o.ServiceRequested,
		Priority: o.Priority, UCR: o.UCR, Reason: o.Reason, OpenedAt: in.TransferredAt,
	})
}
