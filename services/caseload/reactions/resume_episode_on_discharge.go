package reactions

import (
	"context"
	"time"

	"go.uber.org/zap"

	"carecoord/services/caseload/app"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/inbound"
)

// resumeEpisodeOnDischarge restarts care for the discharged patient's
// suspended episodes: those this stay suspended, and those suspended by
// hand (an acute admission that ended in this community bed). An episode
// suspended for another stay is left alone.
func (r *Reactions) resumeEpisodeOnDischarge(ctx context.Context, ev *inbound.PatientDischarged) error {
	const name = ResumeEpisodeOnDischarge
	stay := zap.String("stay_id", ev.StayID)
	if ev.Patient.NHS() == "" {
		return r.skip(ctx, name, "patient has no NHS number", stay)
	}
	if err := r.waitForReadModel(ctx); err != nil {
		return err
	}
	sys := as(ctx, name)
	open, err := r.app.Queries.OpenEpisodesOf.Handle(sys, ev.Patient.NHS())
	if err != nil {
		return err
	}
	at := ev.DischargedAt.UTC().Format(time.RFC3339)
	acted := false
	for _, e := range open {
		if e.Status != string(domain.Suspended) || (e.StayID != "" && e.StayID != ev.StayID) {
			continue
		}
		acted = true
		_, err := r.app.Commands.ResumeEpisode.Handle(sys, commandID(ctx, name), app.ResumeEpisode{EpisodeID: e.ID, At: &at})
		if err := r.settle(ctx, name, err, stay, zap.String("episode_id", e.ID)); err != nil {
			return err
		}
	}
	if !acted {
		return r.skip(ctx, name, "no suspended episode to resume", stay)
	}
	return nil
}
