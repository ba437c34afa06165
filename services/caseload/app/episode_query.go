package app

import (
	"context"

	"carecoord/services/caseload/readmodel"
)

// EpisodeHandler reads one episode.
type EpisodeHandler struct{ q queries }

// Handle returns the episode, or false when there is none the viewer may
// open: an episode of another locality is not there for them (unless they
// broke glass: one record, read by ID), and its existence is not confirmed
// either.
func (h EpisodeHandler) Handle(ctx context.Context, id string) (readmodel.EpisodeView, bool, error) {
	v, err := h.q.viewer(ctx)
	if err != nil {
		return readmodel.EpisodeView{}, false, err
	}
	ep, ok := h.q.rm.Episode(id, h.q.now())
	if !ok || !v.Opens(ep.LocalityID) {
		return readmodel.EpisodeView{}, false, nil
	}
	touch(ctx, ep)
	return ep, true, nil
}
