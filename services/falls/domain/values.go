package domain

import (
	"slices"
	"strings"
	"time"

	"carecoord/pkg/errs"
)

// Source is where a fall alert came from (DOMAIN.md: alert sources).
type Source string

const (
	SourceTelecare      Source = "TELECARE"               // telecare / Care Link alarm
	SourceNHS111        Source = "NHS_111"                // NHS 111
	SourceAmbulance999  Source = "AMBULANCE_999_TRANSFER" // a 999 call the ambulance service passed on
	SourceFamilyOrCarer Source = "FAMILY_CARER"           // family or a carer
)

// Sources lists every alert source.
var Sources = []Source{SourceTelecare, SourceNHS111, SourceAmbulance999, SourceFamilyOrCarer}

// ParseSource validates an alert source.
func ParseSource(field, s string) (Source, error) {
	return parseEnum(field, s, Sources, "source-unknown")
}

// Phrase names the source in a timeline summary.
func (s Source) Phrase() string {
	switch s {
	case SourceTelecare:
		return "telecare alarm"
	case SourceNHS111:
		return "NHS 111"
	case SourceAmbulance999:
		return "999 transfer"
	default:
		return "family or carer"
	}
}

// RedFlag is one of the ISTUMBLE red flags asked before anyone lifts a
// faller. Any one of them means a 999 response, never a lift.
type RedFlag string

const (
	RedFlagIntensePain         RedFlag = "INTENSE_PAIN"
	RedFlagSuspectedCollapse   RedFlag = "SUSPECTED_COLLAPSE"
	RedFlagTraumaHeadNeckBack  RedFlag = "TRAUMA_HEAD_NECK_BACK"
	RedFlagUnconscious         RedFlag = "UNCONSCIOUS"
	RedFlagMarkedBreathing     RedFlag = "MARKED_DIFFICULTY_BREATHING"
	RedFlagBleeding            RedFlag = "BLEEDING"
	RedFlagLongLie             RedFlag = "LONG_LIE"
	RedFlagExtremitiesColdBlue RedFlag = "EXTREMITIES_COLD_BLUE"
)

// RedFlags lists every red flag in ISTUMBLE order.
var RedFlags = []RedFlag{RedFlagIntensePain, RedFlagSuspectedCollapse, RedFlagTraumaHeadNeckBack, RedFlagUnconscious,
	RedFlagMarkedBreathing, RedFlagBleeding, RedFlagLongLie, RedFlagExtremitiesColdBlue}

// ParseRedFlags validates a list of red flags, dropping repeats and keeping
// ISTUMBLE order so that equal answers are recorded equally.
func ParseRedFlags(field string, in []string) ([]RedFlag, error) {
	seen := map[RedFlag]bool{}
	for _, s := range in {
		f, err := parseEnum(field, s, RedFlags, "red-flag-unknown")
		if err != nil {
			return nil, err
		}
		seen[f] = true
	}
	out := []RedFlag{}
	for _, f := range RedFlags {
		if seen[f] {
			out = append(out, f)
		}
	}
	return out, nil
}

// Injury is what triage found about injury.
type Injury string

const (
	InjuryNone    Injury = "UNINJURED"
	InjuryMinor   Injury = "MINOR_INJURY"
	InjuryInjured Injury = "INJURED"
)

// Injuries lists every injury answer.
var Injuries = []Injury{InjuryNone, InjuryMinor, InjuryInjured}

// ParseInjury validates an injury answer.
func ParseInjury(field, s string) (Injury, error) {
	return parseEnum(field, s, Injuries, "injury-unknown")
}

// Level is the level of a falls response, and of the unit that can give it.
type Level string

const (
	// Level1 is a lifting responder: uninjured fallers.
	Level1 Level = "LEVEL_1"
	// Level2 is a clinical Urgent Community Response: minor injury, seen
	// within 2 hours. A level 2 unit can also lift.
	Level2 Level = "LEVEL_2"
)

// Levels lists both levels.
var Levels = []Level{Level1, Level2}

// ParseLevel validates a level.
func ParseLevel(field, s string) (Level, error) { return parseEnum(field, s, Levels, "level-unknown") }

// Covers reports whether a unit of level l may respond to an incident that
// needs level need: a clinical unit can lift; a lifter cannot give clinical
// care.
func (l Level) Covers(need Level) bool { return l == Level2 || need == Level1 }

// Response is what triage decided the incident needs.
type Response string

const (
	// Response999 is an emergency ambulance: injured or any red flag. The
	// line is kept open until the ambulance service takes the call.
	Response999 Response = "AMBULANCE_999"
	// ResponseLevel1 is a lift by a falls responder.
	ResponseLevel1 Response = "LEVEL_1"
	// ResponseLevel2 is a clinical response (UCR) within 2 hours.
	ResponseLevel2 Response = "LEVEL_2"
)

// DecideResponse is the falls triage rule: injured or any red flag → 999;
// minor injury → level 2; uninjured → level 1. Red flags win over the
// injury answer: an "uninjured" faller who is cold and blue is not lifted.
func DecideResponse(flags []RedFlag, injury Injury) Response {
	switch {
	case len(flags) > 0 || injury == InjuryInjured:
		return Response999
	case injury == InjuryMinor:
		return ResponseLevel2
	default:
		return ResponseLevel1
	}
}

// Level is the responder level a queued response needs (false for 999).
func (r Response) Level() (Level, bool) {
	switch r {
	case ResponseLevel1:
		return Level1, true
	case ResponseLevel2:
		return Level2, true
	}
	return "", false
}

// Phrase names the response in a timeline summary.
func (r Response) Phrase() string {
	switch r {
	case Response999:
		return "999 escalation needed"
	case ResponseLevel2:
		return "level 2 clinical response"
	default:
		return "level 1 lift"
	}
}

// Outcome is how a falls response ended (the contract of
// falls.FallOutcomeRecorded.v1).
type Outcome string

const (
	OutcomeLiftedLeftAtHome Outcome = "LIFTED_LEFT_AT_HOME"
	OutcomeReferred         Outcome = "REFERRED"
	OutcomeConveyed         Outcome = "CONVEYED"
	OutcomeStepUpBed        Outcome = "STEP_UP_BED"
	OutcomeDeclined         Outcome = "DECLINED"
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{OutcomeLiftedLeftAtHome, OutcomeReferred, OutcomeConveyed, OutcomeStepUpBed, OutcomeDeclined}

// ParseOutcome validates an outcome.
func ParseOutcome(field, s string) (Outcome, error) {
	return parseEnum(field, s, Outcomes, "outcome-unknown")
}

// Phrase names the outcome in a timeline summary.
func (o Outcome) Phrase() string {
	switch o {
	case OutcomeLiftedLeftAtHome:
		return "lifted and left at home"
	case OutcomeReferred:
		return "referred on"
	case OutcomeConveyed:
		return "conveyed"
	case OutcomeStepUpBed:
		return "step-up bed needed"
	default:
		return "help declined"
	}
}

// ReferTo is a service a REFERRED outcome refers the patient to.
type ReferTo string

const (
	ReferToUCR             ReferTo = "UCR"
	ReferToICT             ReferTo = "ICT"
	ReferToFallsPrevention ReferTo = "FALLS_PREVENTION"
)

// ReferTos lists every onward service.
var ReferTos = []ReferTo{ReferToUCR, ReferToICT, ReferToFallsPrevention}

// ParseReferTo validates onward referrals, dropping repeats and keeping a
// fixed order.
func ParseReferTo(field string, in []string) ([]ReferTo, error) {
	seen := map[ReferTo]bool{}
	for _, s := range in {
		r, err := parseEnum(field, s, ReferTos, "refer-to-unknown")
		if err != nil {
			return nil, err
		}
		seen[r] = true
	}
	out := []ReferTo{}
	for _, r := range ReferTos {
		if seen[r] {
			out = append(out, r)
		}
	}
	return out, nil
}

// CloseReason is why an incident was closed.
type CloseReason string

const (
	// CloseCompleted: the response ended with a recorded outcome.
	CloseCompleted CloseReason = "COMPLETED"
	// CloseDuplicate: the alert repeats an incident already open.
	CloseDuplicate CloseReason = "DUPLICATE_ALERT"
	// CloseNoFall: on checking, nobody had fallen (a false alarm).
	CloseNoFall CloseReason = "NO_FALL"
)

// CloseReasons lists every close reason.
var CloseReasons = []CloseReason{CloseCompleted, CloseDuplicate, CloseNoFall}

// ParseCloseReason validates a close reason; empty is COMPLETED.
func ParseCloseReason(field, s string) (CloseReason, error) {
	if s == "" {
		return CloseCompleted, nil
	}
	return parseEnum(field, s, CloseReasons, "close-reason-unknown")
}

// DutyStatus is what a dispatcher sets on a unit; DISPATCHED and ON_SCENE
// follow from its assignment instead.
type DutyStatus string

const (
	DutyAvailable DutyStatus = "AVAILABLE"
	DutyOffDuty   DutyStatus = "OFF_DUTY"
)

// ParseDutyStatus validates a status a dispatcher may set.
func ParseDutyStatus(field, s string) (DutyStatus, error) {
	d, err := parseEnum(field, s, []DutyStatus{DutyAvailable, DutyOffDuty}, "responder-status")
	if err != nil {
		return "", errs.Invalid(field, "a dispatcher sets AVAILABLE or OFF_DUTY; DISPATCHED and ON_SCENE follow from the incident", "responder-status")
	}
	return d, nil
}

// ReleaseReason says why a unit's assignment ended.
type ReleaseReason string

const (
	// ReleaseRefused: the incident would not take the unit (it changed
	// between the unit's assignment and the incident's dispatch).
	ReleaseRefused ReleaseReason = "INCIDENT_REFUSED"
	// ReleaseStoodDown: the dispatch was cancelled or the incident went to
	// 999 before the unit arrived.
	ReleaseStoodDown ReleaseReason = "STOOD_DOWN"
	// ReleaseOutcome: the unit's work at the incident ended with an outcome.
	ReleaseOutcome ReleaseReason = "OUTCOME_RECORDED"
)

func parseEnum[T ~string](field, s string, all []T, slug string) (T, error) {
	v := T(strings.TrimSpace(s))
	if slices.Contains(all, v) {
		return v, nil
	}
	names := make([]string, len(all))
	for i, a := range all {
		names[i] = string(a)
	}
	return "", errs.Invalid(field, "must be one of "+strings.Join(names, ", "), slug)
}

// clockSkew is how far ahead of the server's clock a reported time may be:
// crews' devices and the server do not agree to the second.
const clockSkew = 2 * time.Minute

// notFuture rejects a business time later than now (with clockSkew).
func notFuture(field string, t, now time.Time) error {
	if t.After(now.Add(clockSkew)) {
		return errs.Invalid(field, "is in the future", "time-in-future")
	}
	return nil
}

// notBefore rejects a step's time earlier than the step it follows.
func notBefore(field string, t, prev time.Time, prevName string) error {
	if !prev.IsZero() && t.Before(prev) {
		return errs.Invalid(field, "is before the "+prevName, "time-order")
	}
	return nil
}
