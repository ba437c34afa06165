package readmodel

import (
	"fmt"
	"strings"
	"time"

	"carecoord/pkg/locality"
	"carecoord/services/caseload/domain"
)

type localityID = locality.ID

// One apply function per event: change the view, return the history
// summary. Summaries are short and non-clinical ("Visit completed"): they
// reach the patient timeline of every service's users. Called with mu held.

func (c *Caseload) onEpisodeOpened(ep *episode, ev domain.EpisodeOpened) string {
	ep.view = EpisodeView{ID: ev.EpisodeID, Status: string(domain.AwaitingAllocation), LocalityID: ev.Locality,
		Patient: ev.Patient, ReferralID: ev.ReferralID, TransferredFromEpisodeID: ev.TransferredFromEpisodeID,
		ServiceRequested: ev.ServiceRequested, Priority: ev.Priority, UCR: ev.UCR, Reason: ev.Reason, OpenedAt: ev.OpenedAt}
	nhs := ev.Patient.NHSNumber
	c.byPatient[nhs] = append(c.byPatient[nhs], ev.EpisodeID)
	if c.byLocality[ev.Locality] == nil {
		c.byLocality[ev.Locality] = map[string]bool{}
	}
	c.byLocality[ev.Locality][ev.EpisodeID] = true
	if ev.TransferredFromEpisodeID != "" {
		return "Caseload episode opened on transfer from " + c.localityName(c.episodes[ev.TransferredFromEpisodeID])
	}
	return "Caseload episode opened in " + c.localityName(ep)
}

func (c *Caseload) localityName(ep *episode) string {
	if ep == nil {
		return "another locality"
	}
	if l, ok := c.reg.Get(localityID(ep.view.LocalityID)); ok {
		return l.Name
	}
	return ep.view.LocalityID
}

func (c *Caseload) onKeyworkerAssigned(ep *episode, ev domain.KeyworkerAssigned) string {
	k := ev.Keyworker
	ep.view.Keyworker, ep.view.Team = &k, ev.Team
	if ep.view.Status == string(domain.AwaitingAllocation) {
		ep.view.Status = string(domain.Allocated)
		ep.view.AllocatedAt = ev.AssignedAt
	} else if s := ep.view.Suspension; s != nil && s.ResumeTo == string(domain.AwaitingAllocation) {
		s.ResumeTo = string(domain.Allocated)
		ep.view.AllocatedAt = ev.AssignedAt
	}
	if ev.Previous != nil {
		return "Keyworker changed"
	}
	return "Keyworker assigned"
}

func (c *Caseload) onVisitsScheduled(ep *episode, ev domain.VisitsScheduled) string {
	for _, v := range ev.Visits {
		ep.visitIdx[v.VisitID] = len(ep.view.Visits)
		ep.view.Visits = append(ep.view.Visits, VisitView{ID: v.VisitID, EpisodeID: ev.EpisodeID, SeriesID: ev.SeriesID,
			PlannedAt: v.PlannedAt, DurationMinutes: v.DurationMinutes, Purpose: string(v.Purpose), Clinician: v.Clinician,
			Status: string(domain.VisitPlanned)})
		c.indexVisit(ev.EpisodeID, v.VisitID, "", v.Clinician.ID)
	}
	if ev.Recurrence != nil && len(ev.Visits) > 1 {
		return fmt.Sprintf("%d visits scheduled (%s)", len(ev.Visits), strings.ToLower(string(ev.Recurrence.Frequency)))
	}
	return "Visit scheduled"
}

func (c *Caseload) onVisitOutcomeRecorded(ep *episode, ev domain.VisitOutcomeRecorded) string {
	if i, ok := ep.visitIdx[ev.VisitID]; ok {
		v := &ep.view.Visits[i]
		v.Status, v.OutcomeAt, v.CancellationReason = string(ev.Outcome), ev.At, string(ev.CancellationReason)
	}
	switch ev.Outcome {
	case domain.VisitCompleted:
		return "Visit completed"
	case domain.VisitCancelled:
		return "Visit cancelled"
	case domain.VisitNoAccess:
		return "Visit attempted: no access"
	case domain.VisitDeclined:
		return "Visit declined by the patient"
	}
	return "Visit outcome recorded"
}

func (c *Caseload) onVisitsReassigned(ep *episode, ev domain.VisitsReassigned) string {
	for _, r := range ev.Visits {
		if i, ok := ep.visitIdx[r.VisitID]; ok {
			ep.view.Visits[i].Clinician = ev.To
			c.indexVisit(ev.EpisodeID, r.VisitID, r.From.ID, ev.To.ID)
		}
	}
	if len(ev.Visits) == 1 {
		return "Visit reassigned"
	}
	return fmt.Sprintf("%d visits reassigned", len(ev.Visits))
}

func (c *Caseload) onCarePlanUpdated(ep *episode, ev domain.CarePlanUpdated) string {
	ep.view.CarePlans = append(ep.view.CarePlans, CarePlanView{Version: ev.Version, Goals: ev.Goals,
		NextReviewDate: string(ev.NextReviewDate), AgreedAt: ev.AgreedAt, AgreedBy: c.applying.Actor})
	ep.view.CarePlan = &ep.view.CarePlans[len(ep.view.CarePlans)-1]
	if ev.Version == 1 {
		return "Care plan agreed"
	}
	return fmt.Sprintf("Care plan updated (version %d)", ev.Version)
}

func (c *Caseload) onEpisodeActivated(ep *episode, ev domain.EpisodeActivated) string {
	ep.view.Status, ep.view.ActivatedAt = string(domain.Active), ev.ActivatedAt
	return "Assessment done: care active"
}

func (c *Caseload) onReviewStarted(ep *episode, ev domain.ReviewStarted) string {
	ep.view.Status = string(domain.UnderReview)
	ep.view.Review = &ReviewView{Reason: string(ev.Reason), StartedAt: ev.StartedAt}
	return "Brought to MDT for review"
}

func (c *Caseload) onMdtDiscussionRecorded(ep *episode, ev domain.MdtDiscussionRecorded) string {
	ep.view.Discussions = append(ep.view.Discussions, MdtDiscussionView{ID: ev.DiscussionID, DiscussedAt: ev.DiscussedAt,
		Attendees: ev.Attendees, Actions: ev.Actions, RecordedBy: c.applying.Actor})
	return "MDT discussion recorded"
}

func (c *Caseload) onReviewConcluded(ep *episode, ev domain.ReviewConcluded) string {
	ep.view.Status, ep.view.Review = string(domain.Active), nil
	for i := range ep.view.Discussions {
		if ep.view.Discussions[i].ID == ev.DiscussionID {
			ep.view.Discussions[i].ConcludedReview = true
		}
	}
	return "Review concluded: care continues"
}

func (c *Caseload) onEpisodeSuspended(ep *episode, ev domain.EpisodeSuspended) string {
	ep.view.Status = string(domain.Suspended)
	ep.view.Suspension = &SuspensionView{Reason: string(ev.Reason), StayID: ev.StayID, HospitalID: ev.HospitalID,
		Since: ev.SuspendedAt, ResumeTo: string(ev.PreviousStatus)}
	return "Care suspended: patient admitted"
}

func (c *Caseload) onEpisodeResumed(ep *episode, ev domain.EpisodeResumed) string {
	ep.view.Status, ep.view.Suspension = string(ev.ResumedTo), nil
	cancelVisits(ep, ev.CancelledVisitIDs, domain.CancelPatientAdmitted, ev.ResumedAt)
	return "Care resumed after admission"
}

func (c *Caseload) onEpisodeTransferred(ep *episode, ev domain.EpisodeTransferred) string {
	c.close(ep, domain.Transferred, ev.TransferredAt, ev.CancelledVisitIDs)
	ep.view.TransferredToLocality, ep.view.TransferredToService = ev.ToLocality, ev.ToService
	if ev.ToLocality != "" {
		if l, ok := c.reg.Get(localityID(ev.ToLocality)); ok {
			return "Transferred to " + l.Name
		}
		return "Transferred to another locality"
	}
	return "Transferred to another service"
}

func (c *Caseload) onEpisodeDischarged(ep *episode, ev domain.EpisodeDischarged) string {
	c.close(ep, domain.Discharged, ev.DischargedAt, ev.CancelledVisitIDs)
	ep.view.DischargeOutcome = string(ev.Outcome)
	return "Discharged from caseload: " + strings.ToLower(strings.ReplaceAll(string(ev.Outcome), "_", " "))
}

func (c *Caseload) onDeathRecorded(ep *episode, ev domain.DeathRecorded) string {
	c.close(ep, domain.Deceased, ev.RecordedAt, ev.CancelledVisitIDs)
	ep.view.DateOfDeath = string(ev.DateOfDeath)
	return "Death recorded"
}

func (c *Caseload) close(ep *episode, s domain.Status, at time.Time, cancelled []string) {
	ep.view.Status, ep.view.ClosedAt, ep.view.Review, ep.view.Suspension = string(s), at, nil, nil
	cancelVisits(ep, cancelled, domain.CancelEpisodeClosed, at)
}

func cancelVisits(ep *episode, ids []string, reason domain.CancellationReason, at time.Time) {
	for _, id := range ids {
		if i, ok := ep.visitIdx[id]; ok {
			v := &ep.view.Visits[i]
			v.Status, v.CancellationReason, v.OutcomeAt = string(domain.VisitCancelled), string(reason), at
		}
	}
}
