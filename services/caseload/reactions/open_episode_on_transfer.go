package reactions

import (
	"context"

	"go.uber.org/zap"

	"carecoord/services/caseload/app"
	"carecoord/services/caseload/domain"
)

// openEpisodeOnTransfer opens, in the receiving locality, the episode that
// continues one transferred there. A transfer to another service opens
// nothing here.
func (r *Reactions) openEpisodeOnTransfer(ctx context.Context, ev *domain.EpisodeTransferred) error {
	const name = OpenEpisodeOnTransfer
	if ev.ToLocality == "" {
		return nil
	}
	_, err := r.app.Commands.OpenTransferredEpisode.Handle(as(ctx, name), commandID(ctx, name), app.OpenTransferredEpisode{
		FromEpisodeID: ev.EpisodeID, TransferredAt: ev.TransferredAt,
	})
	return r.settle(ctx, name, err, zap.String("episode_id", ev.EpisodeID))
}
