package app

import (
	"context"

	"carecoord/pkg/nhsnumber"
	"carecoord/services/caseload/readmodel"
)

// PatientEpisodesHandler reads a patient's episodes.
type PatientEpisodesHandler struct{ q queries }

// Handle returns the patient's episodes in the localities the viewer
// reaches (any, with break-glass: this is one patient's record), newest
// first.
func (h PatientEpisodesHandler) Handle(ctx context.Context, nhs string) ([]readmodel.EpisodeView, error) {
	v, err := h.q.viewer(ctx)
	if err != nil {
		return nil, err
	}
	n, err := nhsnumber.Parse(nhs)
	if err != nil {
		return nil, err
	}
	eps := h.q.rm.PatientEpisodes(n.String(), v.Opens, h.q.now())
	touch(ctx, eps...)
	return eps, nil
}

// OpenEpisodesOfHandler finds a patient's open episodes for the reactions,
// which act for the system in every locality.
type OpenEpisodesOfHandler struct{ q queries }

// Handle returns the patient's open episodes in the viewer's reach.
func (h OpenEpisodesOfHandler) Handle(ctx context.Context, nhs string) ([]readmodel.OpenEpisode, error) {
	v, err := h.q.viewer(ctx)
	if err != nil {
		return nil, err
	}
	var out []readmodel.OpenEpisode
	for _, e := range h.q.rm.OpenEpisodesOf(nhs) {
		if v.Reaches(e.Locality) {
			out = append(out, e)
		}
	}
	return out, nil
}
