package reactions

import (
	"context"
	"time"

	"go.uber.org/zap"

	"carecoord/services/caseload/app"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/inbound"
)

// suspendEpisodeOnAdmission pauses the admitted patient's open episodes,
// found by NHS number in the read model, in whatever locality. An episode
// already suspended (say for an acute admission before a step-down bed)
// stays as it is.
func (r *Reactions) suspendEpisodeOnAdmission(ctx context.Context, ev *inbound.PatientAdmitted) error {
	const name = SuspendEpisodeOnAdmission
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
	at := ev.AdmittedAt.UTC().Format(time.RFC3339)
	acted := false
	for _, e := range open {
		if e.Status == string(domain.Suspended) {
			continue
		}
		acted = true
		_, err := r.app.Commands.SuspendEpisode.Handle(sys, commandID(ctx, name), app.SuspendEpisode{
			EpisodeID: e.ID, Reason: string(domain.AdmittedCommunityBed), StayID: ev.StayID, HospitalID: ev.HospitalID, At: &at,
		})
		if err := r.settle(ctx, name, err, stay, zap.String("episode_id", e.ID)); err != nil {
			return err
		}
	}
	if !acted {
		return r.skip(ctx, name, "no open episode to suspend", stay)
	}
	return nil
}
