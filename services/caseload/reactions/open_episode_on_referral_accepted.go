package reactions

import (
	"context"

	"go.uber.org/zap"

	"carecoord/services/caseload/app"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/inbound"
)

// openEpisodeOnReferralAccepted puts an accepted referral's patient on the
// caseload of the referral's locality. The episode's ID comes from the
// referral's, the command's from the event's: a redelivered acceptance, or
// one replayed with lost checkpoints, finds the episode already open.
func (r *Reactions) openEpisodeOnReferralAccepted(ctx context.Context, ev *inbound.ReferralAccepted) error {
	const name = OpenEpisodeOnReferralAccepted
	if ev.ReferralID == "" {
		return r.skip(ctx, name, "no referral ID")
	}
	ref := zap.String("referral_id", ev.ReferralID)
	if ev.Patient.NHS() == "" {
		return r.skip(ctx, name, "patient has no NHS number", ref)
	}
	_, err := r.app.Commands.OpenEpisode.Handle(as(ctx, name), commandID(ctx, name), app.OpenEpisode{
		EpisodeID:             app.EpisodeIDForReferral(ev.ReferralID),
		ReferralID:            ev.ReferralID,
		NHSNumber:             ev.Patient.NHS(),
		NHSNumberVerification: ev.Patient.NHSNumberVerification,
		GivenName:             ev.Patient.GivenName,
		FamilyName:            ev.Patient.FamilyName,
		DateOfBirth:           inbound.Str(ev.Patient.DateOfBirth),
		Postcode:              inbound.Str(ev.Patient.Postcode),
		GPPractice:            inbound.Str(ev.Patient.GPPractice),
		Locality:              ev.Locality,
		ServiceRequested:      ev.ServiceRequested,
		Priority:              ev.Priority,
		UCR:                   ev.UCR,
		Reason:                domain.Reason{SNOMEDCode: ev.Reason.SNOMEDCode, Display: ev.Reason.Display},
		OpenedAt:              ev.AcceptedAt,
	})
	return r.settle(ctx, name, err, ref)
}
