package app

import (
	"sort"
	"time"

	"carecoord/services/falls/domain"
	"carecoord/services/falls/readmodel"
)

// Risk is how the dispatcher's queue ranks an incident.
type Risk string

const (
	// RiskRedFlags: injury or red flags (awaiting or after 999 escalation).
	RiskRedFlags Risk = "RED_FLAGS"
	// RiskUntriaged: nobody has asked the triage questions yet, so it may
	// be anything; it comes before the incidents known to be lesser.
	RiskUntriaged Risk = "UNTRIAGED"
	// RiskLevel2: minor injury, clinical response within 2 hours.
	RiskLevel2 Risk = "LEVEL_2"
	// RiskLevel1: uninjured, a lift.
	RiskLevel1 Risk = "LEVEL_1"
	// RiskResponded: the outcome is recorded; only closing is left.
	RiskResponded Risk = "RESPONDED"
)

var riskOrder = map[Risk]int{RiskRedFlags: 0, RiskUntriaged: 1, RiskLevel2: 2, RiskLevel1: 3, RiskResponded: 4}

// FallView is an incident with the figures that depend on the clock.
type FallView struct {
	readmodel.Incident
	Risk Risk
	// OnFloorSince is the estimated fall time, else the alert time.
	OnFloorSince time.Time
	// TimeOnFloor is to the lift (or the end of the response), or to now
	// while the clock runs; TimeOnFloorKnown is false for a false alarm or
	// a duplicate alert.
	TimeOnFloor      time.Duration
	TimeOnFloorKnown bool
	ClockRunning     bool
	OverOneHour      bool
	BreachAt         time.Time
}

func newFallView(i readmodel.Incident, now time.Time) FallView {
	clock := i.Clock()
	return FallView{
		Incident:         i,
		Risk:             riskOf(i),
		OnFloorSince:     clock.Since,
		TimeOnFloor:      clock.Elapsed(now),
		TimeOnFloorKnown: !clock.Void,
		ClockRunning:     clock.Running(),
		OverOneHour:      clock.Breached(now),
		BreachAt:         clock.BreachAt(),
	}
}

func riskOf(i readmodel.Incident) Risk {
	switch {
	case i.Status == domain.StatusOutcomeRecorded || i.Status == domain.StatusClosed:
		return RiskResponded
	case i.Status == domain.StatusTriaged || i.Status == domain.StatusEscalated999:
		return RiskRedFlags
	case i.Triage == nil:
		return RiskUntriaged
	case i.Triage.Response == domain.ResponseLevel2:
		return RiskLevel2
	default:
		return RiskLevel1
	}
}

// sortQueue orders the dispatcher's queue: by risk, then by the longest
// time on the floor (the clock that matters), then by alert time and ID so
// that the order is stable.
func sortQueue(vs []FallView) {
	sort.Slice(vs, func(a, b int) bool {
		x, y := vs[a], vs[b]
		if rx, ry := riskOrder[x.Risk], riskOrder[y.Risk]; rx != ry {
			return rx < ry
		}
		if !x.OnFloorSince.Equal(y.OnFloorSince) {
			return x.OnFloorSince.Before(y.OnFloorSince)
		}
		if !x.AlertedAt.Equal(y.AlertedAt) {
			return x.AlertedAt.Before(y.AlertedAt)
		}
		return x.ID < y.ID
	})
}

// ResponderStatus is a unit's state on the board.
type ResponderStatus string

const (
	ResponderAvailable  ResponderStatus = "AVAILABLE"
	ResponderDispatched ResponderStatus = "DISPATCHED"
	ResponderOnScene    ResponderStatus = "ON_SCENE"
	ResponderOffDuty    ResponderStatus = "OFF_DUTY"
)

// ResponderView is a unit with its state.
type ResponderView struct {
	domain.Unit
	Status ResponderStatus
	// Since is when the unit entered its state (zero: never booked on).
	Since time.Time
	// IncidentID is the incident the unit is committed to, if any.
	IncidentID string
	// Demo marks made-up reference data.
	Demo bool
}

// responderView joins a unit's reference data, its stream's state and the
// incident it is committed to: DISPATCHED until the incident records the
// unit's arrival, ON_SCENE after.
func (c *core) responderView(u domain.Unit) ResponderView {
	r, arrivedAt := c.Board.ResponderOnScene(u.ID)
	v := ResponderView{Unit: u, Since: r.Since, IncidentID: r.IncidentID, Demo: c.Units.Demo}
	switch {
	case r.AssignmentID != "" && !arrivedAt.IsZero():
		v.Status, v.Since = ResponderOnScene, arrivedAt
	case r.AssignmentID != "":
		v.Status = ResponderDispatched
	case r.OnDuty:
		v.Status = ResponderAvailable
	default:
		v.Status = ResponderOffDuty
	}
	return v
}
