package e2e

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// One synthetic patient of Leek goes through every service and every
// cross-service reaction in one real carecoord process: a GP referral is
// accepted and opens a caseload episode; a fall ends in a step-up bed
// request; the admission suspends the episode; the discharge resumes it and
// raises a follow-up referral, whose acceptance opens a second episode. Each
// service's read model and the merged patient timeline are then checked, the
// counts are held for a while to show each reaction acted exactly once, and
// again after a restart (which rebuilds the read models from the log).
//
// The data directory is not seeded, so every count is this patient's alone.
func TestFlow_one_patient_through_fall_bed_discharge_referral_and_caseload(t *testing.T) {
	dataDir := t.TempDir()
	proc, base := serve(t, dataDir, nil)
	waitReady(t, base, 30*time.Second)

	ict := &user{t: t, name: "ICT clinician (Leek)", base: base,
		token: issueToken(t, dataDir, "--role", "ict_clinician", "--locality", "leek", "--name", "Ida Clinician")}
	dispatcher := &user{t: t, name: "falls dispatcher", base: base,
		token: issueToken(t, dataDir, "--role", "falls_dispatcher", "--name", "Dee Spatcher")}
	bedManager := &user{t: t, name: "bed manager", base: base,
		token: issueToken(t, dataDir, "--role", "bed_manager", "--name", "Bea Manager")}

	// A synthetic patient: an NHS number in the 999 test range, registered
	// with a Leek practice (Z10032, Leek Family Practice).
	const practice, leek = "Z10032", "leek"
	nhs := syntheticNHSNumber(t, "999000123")
	patient := map[string]any{
		"nhsNumber": nhs, "nhsNumberVerification": "VERIFIED",
		"givenName": "Flora", "familyName": "Testperson",
		"dateOfBirth": "1938-04-12", "postcode": "ST13 5AB", "gpPractice": practice,
	}

	// Business times are given explicitly, a minute apart and in the past,
	// so that the merged timeline orders the steps by what happened, not by
	// how fast this test ran: the subgraphs show times to the second. A
	// reaction takes its cause's time (an episode opens at the referral's
	// acceptance), so cause and effect share an `at`.
	start := time.Now().UTC().Truncate(time.Second).Add(-30 * time.Minute)
	at := func(minute int) string { return start.Add(time.Duration(minute) * time.Minute).Format(time.RFC3339) }
	const wait = 15 * time.Second // for a reaction in another service

	// ---- 1. A GP refers the patient to the Leek ICT; triage accepts. ----
	var received struct {
		ReceiveReferral struct{ ID, Status, LocalityID string }
	}
	ict.do("referrals", `mutation($in: ReceiveReferralInput!) {
		receiveReferral(commandId: "flow-referral-1", input: $in) { id status localityId } }`,
		map[string]any{"in": map[string]any{
			"patient":          patient,
			"referrer":         map[string]any{"source": "GP", "name": "Dr Example", "organisationOds": practice},
			"receivedAt":       at(0),
			"reason":           map[string]any{"snomedCode": "82971005", "display": "Impaired mobility"},
			"serviceRequested": "Integrated Care Team",
			"priority":         "ROUTINE",
			"ucr":              false,
			"consent":          "GIVEN",
		}}, &received)
	referral1 := received.ReceiveReferral.ID
	if received.ReceiveReferral.Status != "RECEIVED" || received.ReceiveReferral.LocalityID != leek {
		t.Fatalf("received referral = %+v, want RECEIVED in leek", received.ReceiveReferral)
	}
	var triaged struct{ TriageReferral struct{ Status string } }
	ict.do("referrals", `mutation($in: TriageReferralInput!) {
		triageReferral(commandId: "flow-triage-1", input: $in) { status } }`,
		map[string]any{"in": map[string]any{"referralId": referral1, "outcome": "ACCEPT", "at": at(1)}}, &triaged)
	if triaged.TriageReferral.Status != "WAITING" {
		t.Fatalf("accepted referral is %s, want WAITING", triaged.TriageReferral.Status)
	}

	episodes := func(u *user) ([]episode, error) {
		var out struct {
			Patient *struct{ CaseloadEpisodes []episode }
		}
		err := u.try("caseload", `query($nhs: String!) { patient(nhsNumber: $nhs) { caseloadEpisodes {
			id status referralId localityId keyworker { id name } suspension { reason resumeTo stayId }
			patient { nhsNumber gpPractice } } } }`, map[string]any{"nhs": nhs}, &out)
		if err != nil || out.Patient == nil {
			return nil, err
		}
		return out.Patient.CaseloadEpisodes, nil
	}
	var episode1 episode
	eventually(t, wait, "caseload opens an episode on the accepted referral", func() (bool, string) {
		eps, err := episodes(ict)
		if err != nil || len(eps) != 1 {
			return false, fmt.Sprintf("episodes %+v, err %v", eps, err)
		}
		episode1 = eps[0]
		return true, ""
	})
	if episode1.Status != "AWAITING_ALLOCATION" || episode1.ReferralID != referral1 || episode1.LocalityID != leek || episode1.Patient.NHSNumber != nhs {
		t.Fatalf("episode opened = %+v, want AWAITING_ALLOCATION in leek for referral %s", episode1, referral1)
	}
	var assigned struct{ AssignKeyworker episode }
	ict.do("caseload", `mutation($in: AssignKeyworkerInput!) {
		assignKeyworker(commandId: "flow-keyworker-1", input: $in) { id status keyworker { id name } } }`,
		map[string]any{"in": map[string]any{"episodeId": episode1.ID, "keyworkerId": "kw-ida", "keyworkerName": "Ida Clinician", "at": at(2)}}, &assigned)
	if assigned.AssignKeyworker.Status != "ALLOCATED" || assigned.AssignKeyworker.Keyworker == nil || assigned.AssignKeyworker.Keyworker.ID != "kw-ida" {
		t.Fatalf("after assigning a keyworker: %+v", assigned.AssignKeyworker)
	}

	// ---- 2. The patient falls at home; a level-1 responder lifts them and
	// finds they need a step-up bed. ----
	const incidentFields = `id status localityId requiredResponse
		outcome { outcome clinicalNeed referTo } responder { id status } closedAt closeReason`
	var reported struct{ ReportFall fallIncident }
	dispatcher.do("falls", `mutation($in: ReportFallInput!) { reportFall(commandId: "flow-fall-1", input: $in) { `+incidentFields+` } }`,
		map[string]any{"in": map[string]any{
			"source": "TELECARE", "localityId": leek, "alertedAt": at(3),
			"address": map[string]any{"text": "1 Example Street, Leek", "postcode": "ST13 5AB"},
			"patient": patient,
		}}, &reported)
	incident := reported.ReportFall.ID
	if reported.ReportFall.LocalityID != leek {
		t.Fatalf("fall reported = %+v, want it filed under leek", reported.ReportFall)
	}
	var fall struct{ TriageFall fallIncident }
	dispatcher.do("falls", `mutation($in: TriageFallInput!) { triageFall(commandId: "flow-fall-triage", input: $in) { `+incidentFields+` } }`,
		map[string]any{"in": map[string]any{"incidentId": incident, "injury": "UNINJURED", "redFlags": []string{}, "triagedAt": at(4)}}, &fall)
	if fall.TriageFall.RequiredResponse != "LEVEL_1" {
		t.Fatalf("an uninjured fall without red flags needs %q, want LEVEL_1", fall.TriageFall.RequiredResponse)
	}
	var units struct {
		Responders []struct{ ID, CallSign, Level, Status, BaseLocalityID string }
	}
	dispatcher.do("falls", `{ responders { id callSign level status baseLocalityId } }`, nil, &units)
	// Without demo data every unit is off duty: the dispatcher brings Leek's
	// level-1 unit on duty (any available level-1 unit would do).
	responder := ""
	for _, r := range units.Responders {
		if r.Level == "LEVEL_1" && (r.Status == "AVAILABLE" || r.BaseLocalityID == leek) && responder == "" {
			responder = r.ID
			if r.Status != "AVAILABLE" {
				var on struct{ SetResponderStatus struct{ Status string } }
				dispatcher.do("falls", `mutation($in: SetResponderStatusInput!) { setResponderStatus(commandId: "flow-on-duty", input: $in) { status } }`,
					map[string]any{"in": map[string]any{"responderId": r.ID, "status": "AVAILABLE"}}, &on)
				if on.SetResponderStatus.Status != "AVAILABLE" {
					t.Fatalf("responder %s is %s after coming on duty", r.ID, on.SetResponderStatus.Status)
				}
			}
		}
	}
	if responder == "" {
		t.Fatalf("no level-1 responder among %+v", units.Responders)
	}
	for i, s := range []struct{ mutation, input, field, at, want string }{
		{"dispatchResponder", "DispatchResponderInput", "dispatchedAt", at(5), "DISPATCHED"},
		{"responderEnRoute", "ResponderEnRouteInput", "enRouteAt", at(6), "EN_ROUTE"},
		{"responderOnScene", "ResponderOnSceneInput", "arrivedAt", at(7), "ON_SCENE"},
		{"recordFallLift", "RecordFallLiftInput", "liftedAt", at(8), "ON_SCENE"},
	} {
		in := map[string]any{"incidentId": incident, s.field: s.at}
		if s.mutation == "dispatchResponder" {
			in["responderId"] = responder
		}
		var out map[string]fallIncident
		dispatcher.do("falls", fmt.Sprintf(`mutation($in: %s!) { %s(commandId: "flow-fall-step-%d", input: $in) { %s } }`,
			s.input, s.mutation, i, incidentFields), map[string]any{"in": in}, &out)
		if got := out[s.mutation].Status; got != s.want {
			t.Fatalf("%s: incident is %s, want %s", s.mutation, got, s.want)
		}
	}
	var outcome struct{ RecordFallOutcome fallIncident }
	dispatcher.do("falls", `mutation($in: RecordFallOutcomeInput!) { recordFallOutcome(commandId: "flow-fall-outcome", input: $in) { `+incidentFields+` } }`,
		map[string]any{"in": map[string]any{"incidentId": incident, "outcome": "STEP_UP_BED", "recordedAt": at(9),
			"clinicalNeed": "Cannot manage stairs safely after the fall; needs rehabilitation"}}, &outcome)
	if o := outcome.RecordFallOutcome; o.Status != "OUTCOME_RECORDED" || o.Outcome == nil || o.Outcome.Outcome != "STEP_UP_BED" {
		t.Fatalf("after the outcome: %+v", o)
	}

	// ---- 3. Beds: the step-up request from falls arrives; the bed manager
	// accepts it, allocates a Leek Moorlands bed and admits the patient. ----
	const requestFields = `id status type source sourceRef priority clinicalNeed localityId stayId bedId patient { nhsNumber gpPractice }`
	var request bedRequest
	eventually(t, wait, "beds raises a step-up bed request from the fall outcome", func() (bool, string) {
		var out struct{ BedRequests []bedRequest }
		if err := bedManager.try("beds", `{ bedRequests(status: [PENDING]) { `+requestFields+` } }`, nil, &out); err != nil {
			return false, err.Error()
		}
		for _, r := range out.BedRequests {
			if r.Patient.NHSNumber == nhs && r.Source == "FALLS" {
				request = r
				return true, ""
			}
		}
		return false, fmt.Sprintf("pending requests %+v", out.BedRequests)
	})
	if request.Type != "STEP_UP" || request.SourceRef != incident || request.LocalityID != leek || request.Patient.GPPractice != practice {
		t.Fatalf("bed request = %+v, want a STEP_UP for incident %s in leek", request, incident)
	}
	var decided struct{ DecideBedRequest bedRequest }
	bedManager.do("beds", `mutation($in: DecideBedRequestInput!) { decideBedRequest(commandId: "flow-bed-decide", input: $in) { `+requestFields+` } }`,
		map[string]any{"in": map[string]any{"bedRequestId": request.ID, "decision": "ACCEPT", "decidedAt": at(10)}}, &decided)
	if decided.DecideBedRequest.Status != "ACCEPTED" {
		t.Fatalf("decided request: %+v", decided.DecideBedRequest)
	}
	const hospital = "leek-moorlands"
	bedID := ""
	for _, b := range bedBoard(bedManager, hospital) {
		if b.Status == "AVAILABLE" && !b.SideRoom {
			bedID = b.ID
			break
		}
	}
	if bedID == "" {
		t.Fatalf("no available bed at %s: %+v", hospital, bedBoard(bedManager, hospital))
	}
	const stayFields = `id status bedId hospitalId bedRequestId nhsNumber localityId pathway destination followUp { ictReferral reason } dischargedAt`
	var allocated struct{ AllocateBed bedStay }
	bedManager.do("beds", `mutation($in: AllocateBedInput!) { allocateBed(commandId: "flow-bed-allocate", input: $in) { `+stayFields+` } }`,
		map[string]any{"in": map[string]any{"bedRequestId": request.ID, "bedId": bedID, "allocatedAt": at(11)}}, &allocated)
	stay := allocated.AllocateBed.ID
	if allocated.AllocateBed.Status != "RESERVED" || allocated.AllocateBed.BedID != bedID {
		t.Fatalf("allocated stay: %+v, want RESERVED in bed %s", allocated.AllocateBed, bedID)
	}
	var admitted struct{ AdmitPatient bedStay }
	bedManager.do("beds", `mutation($in: AdmitPatientInput!) { admitPatient(commandId: "flow-bed-admit", input: $in) { `+stayFields+` } }`,
		map[string]any{"in": map[string]any{"stayId": stay, "admittedAt": at(12)}}, &admitted)
	if admitted.AdmitPatient.Status != "ADMITTED" {
		t.Fatalf("admitted stay: %+v", admitted.AdmitPatient)
	}
	eventually(t, wait, "caseload suspends the open episode on the admission", func() (bool, string) {
		eps, err := episodes(ict)
		if err != nil || len(eps) != 1 || eps[0].Status != "SUSPENDED" {
			return false, fmt.Sprintf("episodes %+v, err %v", eps, err)
		}
		if s := eps[0].Suspension; s == nil || s.Reason != "ADMITTED_COMMUNITY_BED" || s.ResumeTo != "ALLOCATED" || s.StayID != stay {
			t.Fatalf("suspension = %+v, want ADMITTED_COMMUNITY_BED for stay %s resuming to ALLOCATED", s, stay)
		}
		return true, ""
	})

	// ---- 4. Discharge home on pathway 1, asking the ICT to follow up. ----
	var discharged struct{ DischargePatient bedStay }
	bedManager.do("beds", `mutation($in: DischargePatientInput!) { dischargePatient(commandId: "flow-bed-discharge", input: $in) { `+stayFields+` } }`,
		map[string]any{"in": map[string]any{"stayId": stay, "pathway": "P1", "destination": "home", "dischargedAt": at(13),
			"followUp": map[string]any{"ictReferral": true, "reason": "Reablement at home"}}}, &discharged)
	if discharged.DischargePatient.Status != "DISCHARGED" {
		t.Fatalf("discharged stay: %+v", discharged.DischargePatient)
	}
	eventually(t, wait, "caseload resumes the episode on the discharge", func() (bool, string) {
		eps, err := episodes(ict)
		if err != nil || len(eps) != 1 || eps[0].Status != "ALLOCATED" || eps[0].Suspension != nil {
			return false, fmt.Sprintf("episodes %+v, err %v", eps, err)
		}
		return true, ""
	})
	referrals := func(u *user) ([]referral, error) {
		var out struct {
			Patient *struct{ Referrals []referral }
		}
		err := u.try("referrals", `query($nhs: String!) { patient(nhsNumber: $nhs) { referrals {
			id status localityId priority serviceRequested sourceReference receivedAt
			referrer { source } patientDetails { nhsNumber gpPractice } } } }`, map[string]any{"nhs": nhs}, &out)
		if err != nil || out.Patient == nil {
			return nil, err
		}
		return out.Patient.Referrals, nil
	}
	var referral2 referral
	eventually(t, wait, "referrals raises a follow-up referral on the discharge", func() (bool, string) {
		rs, err := referrals(ict)
		for _, r := range rs {
			if r.ID != referral1 {
				referral2 = r
				return true, ""
			}
		}
		return false, fmt.Sprintf("referrals %+v, err %v", rs, err)
	})
	if r := referral2; r.Referrer.Source != "HOSPITAL_DISCHARGE" || r.LocalityID != leek || r.Status != "RECEIVED" ||
		r.SourceReference != "stay-"+stay || r.ReceivedAt != at(13) || r.PatientDetails.NHSNumber != nhs {
		t.Fatalf("discharge referral = %+v, want RECEIVED in leek from HOSPITAL_DISCHARGE for stay %s at %s", r, stay, at(13))
	}

	// ---- 5. The ICT accepts the follow-up referral: a second episode. ----
	ict.do("referrals", `mutation($in: TriageReferralInput!) { triageReferral(commandId: "flow-triage-2", input: $in) { status } }`,
		map[string]any{"in": map[string]any{"referralId": referral2.ID, "outcome": "ACCEPT", "at": at(14)}}, &triaged)
	if triaged.TriageReferral.Status != "WAITING" {
		t.Fatalf("accepted follow-up referral is %s, want WAITING", triaged.TriageReferral.Status)
	}
	var episode2 episode
	eventually(t, wait, "caseload opens a second episode on the accepted follow-up referral", func() (bool, string) {
		eps, err := episodes(ict)
		for _, e := range eps {
			if e.ID != episode1.ID {
				episode2 = e
				return true, ""
			}
		}
		return false, fmt.Sprintf("episodes %+v, err %v", eps, err)
	})
	if episode2.ReferralID != referral2.ID || episode2.Status != "AWAITING_ALLOCATION" || episode2.LocalityID != leek {
		t.Fatalf("second episode = %+v, want AWAITING_ALLOCATION for referral %s", episode2, referral2.ID)
	}

	// The dispatcher closes the incident.
	var closed struct{ CloseFall fallIncident }
	dispatcher.do("falls", `mutation($in: CloseFallInput!) { closeFall(commandId: "flow-fall-close", input: $in) { `+incidentFields+` } }`,
		map[string]any{"in": map[string]any{"incidentId": incident, "reason": "COMPLETED", "closedAt": at(15)}}, &closed)
	if closed.CloseFall.Status != "CLOSED" {
		t.Fatalf("closed incident: %+v", closed.CloseFall)
	}

	// ---- 6. Every service's read model, and the merged timeline. ----
	ids := flowIDs{referral1: referral1, referral2: referral2.ID, episode1: episode1.ID, episode2: episode2.ID,
		incident: incident, request: request.ID, stay: stay}
	readModels := func(stage string) {
		t.Helper()
		rs, err := referrals(ict)
		if err != nil {
			t.Fatalf("%s: referrals: %v", stage, err)
		}
		status := map[string]string{}
		for _, r := range rs {
			status[r.ID] = r.Status + " " + r.Referrer.Source
		}
		if want := map[string]string{referral1: "WAITING GP", referral2.ID: "WAITING HOSPITAL_DISCHARGE"}; !reflect.DeepEqual(status, want) {
			t.Errorf("%s: referrals (status, source) = %v, want %v", stage, status, want)
		}

		eps, err := episodes(ict)
		if err != nil {
			t.Fatalf("%s: episodes: %v", stage, err)
		}
		got := map[string]string{}
		for _, e := range eps {
			got[e.ID] = e.Status + " " + e.ReferralID
			if e.Suspension != nil {
				t.Errorf("%s: episode %s is still suspended: %+v", stage, e.ID, e.Suspension)
			}
		}
		if want := map[string]string{episode1.ID: "ALLOCATED " + referral1, episode2.ID: "AWAITING_ALLOCATION " + referral2.ID}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: episodes (status, referral) = %v, want %v", stage, got, want)
		}

		var beds struct {
			Patient struct {
				BedStays    []bedStay
				BedRequests []bedRequest
			}
		}
		bedManager.do("beds", `query($nhs: String!) { patient(nhsNumber: $nhs) {
			bedStays { `+stayFields+` } bedRequests { `+requestFields+` } } }`, map[string]any{"nhs": nhs}, &beds)
		if s := beds.Patient.BedStays; len(s) != 1 || s[0].ID != stay || s[0].Status != "DISCHARGED" || s[0].Pathway != "P1" ||
			s[0].Destination != "home" || s[0].FollowUp == nil || !s[0].FollowUp.IctReferral || s[0].DischargedAt != at(13) {
			t.Errorf("%s: bed stays = %+v, want stay %s DISCHARGED home on P1 with an ICT referral at %s", stage, s, stay, at(13))
		}
		if r := beds.Patient.BedRequests; len(r) != 1 || r[0].ID != request.ID || r[0].Status != "ADMITTED" || r[0].StayID != stay {
			t.Errorf("%s: bed requests = %+v, want request %s ADMITTED for stay %s", stage, r, request.ID, stay)
		}
		bedStatus := ""
		for _, b := range bedBoard(bedManager, hospital) {
			if b.ID == bedID {
				bedStatus = b.Status
			}
		}
		if bedStatus != "AWAITING_CLEAN" {
			t.Errorf("%s: bed %s is %q after the discharge, want AWAITING_CLEAN", stage, bedID, bedStatus)
		}

		var falls struct {
			Patient struct{ Falls []fallIncident }
		}
		dispatcher.do("falls", `query($nhs: String!) { patient(nhsNumber: $nhs) { falls { `+incidentFields+` } } }`,
			map[string]any{"nhs": nhs}, &falls)
		var unit struct {
			Responders []struct {
				ID, Status string
				Incident   *struct{ ID string }
			}
		}
		dispatcher.do("falls", `{ responders { id status incident { id } } }`, nil, &unit)
		for _, r := range unit.Responders {
			if r.ID == responder && (r.Status != "AVAILABLE" || r.Incident != nil) {
				t.Errorf("%s: responder %s = %+v after the outcome, want AVAILABLE with no incident", stage, responder, r)
			}
		}
		if f := falls.Patient.Falls; len(f) != 1 || f[0].ID != incident || f[0].Status != "CLOSED" || f[0].CloseReason != "COMPLETED" ||
			f[0].Outcome == nil || f[0].Outcome.Outcome != "STEP_UP_BED" {
			t.Errorf("%s: falls = %+v, want incident %s CLOSED (COMPLETED) with outcome STEP_UP_BED", stage, f, incident)
		}
	}
	readModels("after the flow")

	viewers := map[string]*user{"referrals": ict, "caseload": ict, "falls": dispatcher, "beds": bedManager}
	timeline := mergedTimeline(t, viewers, nhs)
	t.Logf("merged timeline:\n%s", timeline)
	assertTimelineOrder(t, timeline, ids)

	// Each cross-service effect happened exactly once: the counts hold for a
	// settle period (a doubled reaction would show up in it), and again after
	// a restart, which rebuilds every read model from the log and resumes
	// each reaction from its checkpoint.
	effects := func() flowEffects {
		t.Helper()
		c := countEffects(mergedTimeline(t, viewers, nhs))
		rs, err := referrals(ict)
		if err != nil {
			t.Fatalf("referrals: %v", err)
		}
		for _, r := range rs {
			if r.Referrer.Source == "HOSPITAL_DISCHARGE" {
				c.dischargeReferrals++
			}
		}
		var beds struct {
			Patient struct{ BedRequests []struct{ Source string } }
		}
		bedManager.do("beds", `query($nhs: String!) { patient(nhsNumber: $nhs) { bedRequests { source } } }`, map[string]any{"nhs": nhs}, &beds)
		for _, r := range beds.Patient.BedRequests {
			if r.Source == "FALLS" {
				c.fallsBedRequests++
			}
		}
		eps, err := episodes(ict)
		if err != nil {
			t.Fatalf("episodes: %v", err)
		}
		c.episodes = len(eps)
		return c
	}
	want := flowEffects{bedRequestsRaised: 1, fallsBedRequests: 1, referralsReceived: 2, dischargeReferrals: 1,
		suspensions: 1, resumes: 1, episodesOpened: 2, episodes: 2}
	for settle := time.Now().Add(2 * time.Second); time.Now().Before(settle); time.Sleep(100 * time.Millisecond) {
		if got := effects(); got != want {
			t.Fatalf("cross-service effects = %+v, want exactly %+v", got, want)
		}
	}

	if code := proc.stop(15 * time.Second); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	restarted, base := serve(t, dataDir, nil)
	waitReady(t, base, 30*time.Second)
	for _, u := range []*user{ict, dispatcher, bedManager} {
		u.base = base
	}
	readModels("after a restart")
	again := mergedTimeline(t, viewers, nhs)
	if got := effects(); got != want {
		t.Errorf("after a restart, cross-service effects = %+v, want exactly %+v", got, want)
	}
	if again.String() != timeline.String() {
		t.Errorf("after a restart the merged timeline differs:\n%s\nbefore:\n%s", again, timeline)
	}

	if code := restarted.stop(15 * time.Second); code != 0 {
		t.Fatalf("restarted serve exited %d", code)
	}

	// The patient went through every service and every reaction: none of
	// them logged who the patient is or what is wrong with them.
	for i, log := range []string{proc.stderr.String(), restarted.stderr.String()} {
		for _, leak := range []string{nhs, "Flora", "Testperson", "ST13 5AB", "1938-04-12", "Example Street", "stairs", "Reablement"} {
			if strings.Contains(log, leak) {
				t.Errorf("the log of run %d contains patient data %q", i+1, leak)
			}
		}
	}
}

// Views of the entities, as the flow reads them.
type (
	episode struct {
		ID, Status, ReferralID, LocalityID string
		Keyworker                          *struct{ ID, Name string }
		Suspension                         *struct{ Reason, ResumeTo, StayID string }
		Patient                            struct{ NHSNumber, GPPractice string }
	}
	referral struct {
		ID, Status, LocalityID, Priority, ServiceRequested, SourceReference, ReceivedAt string
		Referrer                                                                        struct{ Source string }
		PatientDetails                                                                  struct{ NHSNumber, GPPractice string }
	}
	fallIncident struct {
		ID, Status, LocalityID, RequiredResponse, ClosedAt, CloseReason string
		Outcome                                                         *struct {
			Outcome, ClinicalNeed string
			ReferTo               []string
		}
		Responder *struct{ ID, Status string }
	}
	bedRequest struct {
		ID, Status, Type, Source, SourceRef, Priority, ClinicalNeed, LocalityID, StayID, BedID string
		Patient                                                                                struct{ NHSNumber, GPPractice string }
	}
	bedStay struct {
		ID, Status, BedID, HospitalID, BedRequestID, NHSNumber, LocalityID, Pathway, Destination, DischargedAt string
		FollowUp                                                                                               *struct {
			IctReferral bool
			Reason      string
		}
	}
	bed struct {
		ID, Status string
		SideRoom   bool
	}
)

// bedBoard lists every bed of a hospital.
func bedBoard(u *user, hospital string) []bed {
	u.t.Helper()
	var out struct{ BedBoard []struct{ Beds []bed } }
	u.do("beds", `query($h: ID) { bedBoard(hospitalId: $h) { beds { id status sideRoom } } }`, map[string]any{"h": hospital}, &out)
	var beds []bed
	for _, w := range out.BedBoard {
		beds = append(beds, w.Beds...)
	}
	return beds
}

// timelineEntry is one entry of a subgraph's Patient.timeline.
type timelineEntry struct {
	At, Service, Type, Summary, RefID string
	at                                time.Time
}

type timeline []timelineEntry

func (tl timeline) String() string {
	var b strings.Builder
	for i, e := range tl {
		fmt.Fprintf(&b, "%2d %s %-9s %-32s %-12.12s %s\n", i, e.At, e.Service, e.Type, e.RefID, e.Summary)
	}
	return b.String()
}

// timelineServices is the order in which the four timelines are merged, and
// so the order of entries with the same `at`. A reaction takes its cause's
// business time, so ties are cause and effect, and this order puts each
// producer before its consumers: falls → beds (step-up request), beds →
// caseload and referrals (admission, discharge), referrals → caseload
// (acceptance). The two effects of a discharge (caseload's resume and the
// follow-up referral) are concurrent and tie; this order shows the referral
// first.
var timelineServices = []string{"falls", "beds", "referrals", "caseload"}

// mergedTimeline fetches the patient's timeline from each subgraph, as the
// given users see it, and merges them by `at`, ties in timelineServices
// order and each service's own order kept.
func mergedTimeline(t testing.TB, viewers map[string]*user, nhs string) timeline {
	t.Helper()
	var all timeline
	for _, svc := range timelineServices {
		var out struct{ Patient *struct{ Timeline timeline } }
		viewers[svc].do(svc, `query($nhs: String!) { patient(nhsNumber: $nhs) { timeline { at service type summary refId } } }`,
			map[string]any{"nhs": nhs}, &out)
		if out.Patient == nil {
			t.Fatalf("%s: no patient", svc)
		}
		own := out.Patient.Timeline
		for i := range own {
			at, err := time.Parse(time.RFC3339, own[i].At)
			if err != nil {
				t.Fatalf("%s timeline: at %q: %v", svc, own[i].At, err)
			}
			own[i].at = at
			if own[i].Service != svc {
				t.Errorf("%s timeline: an entry of service %q: %+v", svc, own[i].Service, own[i])
			}
			if i > 0 && at.Before(own[i-1].at) {
				t.Errorf("%s timeline is not in time order:\n%s", svc, own)
			}
		}
		all = append(all, own...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	return all
}

// flowIDs are the entities the flow created.
type flowIDs struct {
	referral1, referral2, episode1, episode2, incident, request, stay string
}

// Timeline entry types: every service names its entries by the bare event
// name ("EpisodeOpened"), so the merged timeline reads alike.
const (
	tlReferralReceived = "ReferralReceived"
	tlReferralAccepted = "ReferralAccepted"
	tlEpisodeOpened    = "EpisodeOpened"
	tlEpisodeSuspended = "EpisodeSuspended"
	tlEpisodeResumed   = "EpisodeResumed"
	tlFallReported     = "FallReported"
	tlFallOutcome      = "FallOutcomeRecorded"
	tlBedRequestRaised = "BedRequestRaised"
	tlPatientAdmitted  = "PatientAdmitted"
	tlPatientDischarge = "PatientDischarged"
)

// step matches timeline entries: the service, the type and, where given, the
// entity the entry is about.
type step struct{ service, typ, refID string }

func (s step) matches(e timelineEntry) bool {
	return e.Service == s.service && e.Type == s.typ && (s.refID == "" || e.RefID == s.refID)
}

func (s step) String() string { return s.service + " " + s.typ + " " + s.refID }

// assertTimelineOrder checks that the merged timeline holds the flow's steps
// in order. Each stage is a set of steps that may come in any order among
// themselves (concurrent effects of one event) but all after the previous
// stage's.
func assertTimelineOrder(t *testing.T, tl timeline, ids flowIDs) {
	t.Helper()
	stages := [][]step{
		{{"referrals", tlReferralReceived, ids.referral1}},
		{{"referrals", tlReferralAccepted, ids.referral1}},
		{{"caseload", tlEpisodeOpened, ids.episode1}},
		{{"falls", tlFallReported, ids.incident}},
		{{"falls", tlFallOutcome, ids.incident}},
		{{"beds", tlBedRequestRaised, ids.request}},
		{{"beds", tlPatientAdmitted, ids.stay}},
		{{"caseload", tlEpisodeSuspended, ids.episode1}},
		{{"beds", tlPatientDischarge, ids.stay}},
		// Both take the discharge's time: neither comes first.
		{{"caseload", tlEpisodeResumed, ids.episode1}, {"referrals", tlReferralReceived, ids.referral2}},
		{{"referrals", tlReferralAccepted, ids.referral2}},
		{{"caseload", tlEpisodeOpened, ids.episode2}},
	}
	next := 0
	remaining := append([]step(nil), stages[0]...)
	for _, e := range tl {
		for j, s := range remaining {
			if s.matches(e) {
				remaining = append(remaining[:j], remaining[j+1:]...)
				break
			}
		}
		if len(remaining) > 0 {
			continue
		}
		if next++; next == len(stages) {
			return
		}
		remaining = append([]step(nil), stages[next]...)
	}
	t.Errorf("merged timeline lacks, in order, stage %d %v of the flow:\n%s", next+1, remaining, tl)
}

// flowEffects counts the cross-service effects of the flow, from the
// merged timeline and from the read models.
type flowEffects struct {
	// timeline entries
	bedRequestsRaised, referralsReceived, suspensions, resumes, episodesOpened int
	// read models
	fallsBedRequests, dischargeReferrals, episodes int
}

func countEffects(tl timeline) flowEffects {
	var c flowEffects
	for _, e := range tl {
		switch {
		case e.Service == "beds" && e.Type == tlBedRequestRaised:
			c.bedRequestsRaised++
		case e.Service == "referrals" && e.Type == tlReferralReceived:
			c.referralsReceived++
		case e.Service == "caseload" && e.Type == tlEpisodeSuspended:
			c.suspensions++
		case e.Service == "caseload" && e.Type == tlEpisodeResumed:
			c.resumes++
		case e.Service == "caseload" && e.Type == tlEpisodeOpened:
			c.episodesOpened++
		}
	}
	return c
}
