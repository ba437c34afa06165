package app

import (
	"context"
	"strings"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// OpenEpisode puts a patient on a locality's caseload from an accepted
// referral. It is not a GraphQL mutation: episodes come in through the
// referral front door (the OpenEpisodeOnReferralAccepted reaction) and the
// demo seed.
type OpenEpisode struct {
	// EpisodeID is the caller's choice, derived from what it reacts to
	// (EpisodeIDForReferral) so that a repeat addresses the same episode.
	EpisodeID             string
	ReferralID            string
	NHSNumber             string
	NHSNumberVerification string
	GivenName             string
	FamilyName            string
	DateOfBirth           string
	Postcode              string
	GPPractice            string
	Locality              string
	ServiceRequested      string
	Priority              string
	UCR                   bool
	Reason                domain.Reason
	OpenedAt              time.Time
}

// OpenEpisodeHandler handles OpenEpisode.
type OpenEpisodeHandler struct{ s *episodes }

// Handle opens the episode. Opening one that is already open for the same
// referral changes nothing and returns it.
func (h OpenEpisodeHandler) Handle(ctx context.Context, commandID string, in OpenEpisode) (readmodel.EpisodeView, error) {
	viewer, err := auth.RequireRole(ctx, caseloadRoles...)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	loc, err := h.s.reg.Must("locality", in.Locality)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	if err := viewer.RequireLocality(string(loc)); err != nil {
		return readmodel.EpisodeView{}, err
	}
	if strings.TrimSpace(in.EpisodeID) == "" {
		return readmodel.EpisodeView{}, errs.Invalid("episodeId", "is required", "episode-id-required")
	}
	patient, err := domain.NewPatient(in.NHSNumber, in.NHSNumberVerification, in.GivenName, in.FamilyName, in.DateOfBirth, in.Postcode, in.GPPractice)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	if in.OpenedAt.IsZero() {
		in.OpenedAt = h.s.now()
	}
	input := domain.NewEpisodeInput{Patient: patient, Locality: string(loc), ReferralID: in.ReferralID,
		ServiceRequested: in.ServiceRequested, Priority: in.Priority, UCR: in.UCR, Reason: in.Reason, OpenedAt: in.OpenedAt}
	return h.s.open(ctx, viewer, commandID, in.EpisodeID, input)
}

// open runs an Open decision on a new stream.
func (s *episodes) open(ctx context.Context, viewer auth.Viewer, commandID, id string, in domain.NewEpisodeInput) (readmodel.EpisodeView, error) {
	res, err := s.repo.Execute(ctx, id, aggregate.Command{ID: commandID, Actor: viewer.Subject, Locality: in.Locality, At: in.OpenedAt},
		func(e *domain.Episode, exists bool) ([]aggregate.Event, error) {
			if exists && e.Opened().ReferralID == in.ReferralID && e.Opened().TransferredFromEpisodeID == in.TransferredFromEpisodeID {
				return nil, nil // opened already, by an earlier delivery of the same fact
			}
			return e.Open(in)
		})
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	if err := viewer.RequireLocality(res.State.Locality()); err != nil {
		return readmodel.EpisodeView{}, err
	}
	return s.view(ctx, id, res)
}
