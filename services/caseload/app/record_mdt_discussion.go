package app

import (
	"context"
	"fmt"
	"strings"

	"carecoord/pkg/errs"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// RecordMdtDiscussion records an MDT discussion: when, who by role, the
// actions agreed and who owns them. ConcludesReview ends the review the
// episode is under.
type RecordMdtDiscussion struct {
	EpisodeID       string        `json:"episodeId"`
	DiscussedAt     string        `json:"discussedAt"`
	Attendees       []MdtAttendee `json:"attendees"`
	Actions         []MdtAction   `json:"actions"`
	ConcludesReview bool          `json:"concludesReview"`
	ExpectedVersion *int64        `json:"expectedVersion"`
}

// MdtAttendee is an attendee by role.
type MdtAttendee struct {
	Role string `json:"role"`
	Name string `json:"name"`
}

// MdtAction is an agreed action and its owner.
type MdtAction struct {
	Description string `json:"description"`
	OwnerRole   string `json:"ownerRole"`
	OwnerName   string `json:"ownerName"`
	DueDate     string `json:"dueDate"`
}

// RecordMdtDiscussionHandler handles RecordMdtDiscussion.
type RecordMdtDiscussionHandler struct{ s *episodes }

// Handle runs the command.
func (h RecordMdtDiscussionHandler) Handle(ctx context.Context, commandID string, in RecordMdtDiscussion) (readmodel.EpisodeView, error) {
	if in.DiscussedAt == "" {
		return readmodel.EpisodeView{}, errs.Invalid("discussedAt", "is required", "discussed-at-required")
	}
	w, err := h.s.at(ctx, "discussedAt", &in.DiscussedAt)
	if err != nil {
		return readmodel.EpisodeView{}, err
	}
	d := domain.MdtDiscussion{ID: derivedID("caseload-mdt", in.EpisodeID, commandID, 0), DiscussedAt: w.at, ConcludesReview: in.ConcludesReview}
	for i, a := range in.Attendees {
		role, err := domain.ParseMdtRole(fmt.Sprintf("attendees.%d.role", i), a.Role)
		if err != nil {
			return readmodel.EpisodeView{}, err
		}
		d.Attendees = append(d.Attendees, domain.MdtAttendee{Role: role, Name: strings.TrimSpace(a.Name)})
	}
	for i, a := range in.Actions {
		role, err := domain.ParseMdtRole(fmt.Sprintf("actions.%d.ownerRole", i), a.OwnerRole)
		if err != nil {
			return readmodel.EpisodeView{}, err
		}
		act := domain.MdtAction{Description: a.Description, OwnerRole: role, OwnerName: strings.TrimSpace(a.OwnerName)}
		if a.DueDate != "" {
			if act.DueDate, err = domain.ParseDate(fmt.Sprintf("actions.%d.dueDate", i), a.DueDate); err != nil {
				return readmodel.EpisodeView{}, err
			}
		}
		d.Actions = append(d.Actions, act)
	}
	now := h.s.now()
	return h.s.step(ctx, commandID, in.EpisodeID, in.ExpectedVersion, w, func(e *domain.Episode) ([]domain.Event, error) {
		return e.RecordMdtDiscussion(d, now)
	})
}
