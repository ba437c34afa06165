package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The access matrix's world: one seeded carecoord process, a token per
// role, and per locality (Leek, in the ICT clinician's reach, and Tamworth,
// out of it) a synthetic patient with a record in every service, made as
// admin at the start of the test, so that every cell has something to find
// and nothing the matrix changes belongs to the demo data.

const (
	amLocalityA = "leek"     // the ICT clinician's locality
	amLocalityB = "tamworth" // out of the ICT clinician's reach

	// amLeekSubject is the Leek clinician's user ID, which the audit trail
	// names.
	amLeekSubject = "u-am-leek-clinician"
)

// amClient speaks GraphQL over HTTP to the process under test. It keeps
// each user under the gateway's rate limit (50 requests a second, bursts of
// 100, per user: pkg/graphqlhttp), so that no cell is refused for speed.
type amClient struct {
	t    testing.TB
	base string
	http *http.Client

	mu      sync.Mutex
	buckets map[string]*amBucket // by token; "" is every anonymous request (the limit is per IP then)
}

// amBucket is a client-side token bucket.
type amBucket struct {
	tokens float64
	last   time.Time
}

const (
	amRatePerSecond = 40
	amRateBurst     = 60
)

// pace waits until the user of token may send another request.
func (c *amClient) pace(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buckets == nil {
		c.buckets = map[string]*amBucket{}
	}
	now := time.Now()
	b := c.buckets[token]
	if b == nil {
		b = &amBucket{tokens: amRateBurst, last: now}
		c.buckets[token] = b
	}
	b.tokens = min(amRateBurst, b.tokens+now.Sub(b.last).Seconds()*amRatePerSecond)
	b.last = now
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / amRatePerSecond * float64(time.Second))
		time.Sleep(wait)
		b.tokens, b.last = 1, time.Now()
	}
	b.tokens--
}

// amResp is a GraphQL response with its raw body.
type amResp struct {
	status int
	body   []byte
	Data   json.RawMessage `json:"data"`
	Errors []amError       `json:"errors"`
}

type amError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e amError) code() string { s, _ := e.Extensions["code"].(string); return s }

// codes lists the errors' extensions.code values ("" for an error without
// one).
func (r amResp) codes() []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.code())
	}
	return out
}

func (r amResp) hasCode(code string) bool { return slices.Contains(r.codes(), code) }

// post sends one GraphQL request to path (/graphql, /subgraphs/...) with the
// token ("" sends none) and, when given, a break-glass reason.
func (c *amClient) post(path, token, breakGlass, query string, vars map[string]any) amResp {
	c.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if breakGlass != "" {
		req.Header.Set("X-Break-Glass-Reason", breakGlass)
	}
	var res *http.Response
	var raw []byte
	for attempt := 0; ; attempt++ {
		c.pace(token)
		req.Body = io.NopCloser(bytes.NewReader(body))
		res, err = c.http.Do(req)
		if err != nil {
			c.t.Fatalf("POST %s: %v", path, err)
		}
		raw, err = io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			c.t.Fatalf("POST %s: reading body: %v", path, err)
		}
		// Rate limited all the same (another endpoint's bucket, a slow
		// clock): wait as told, a few times.
		if res.StatusCode != http.StatusTooManyRequests || attempt == 3 {
			break
		}
		time.Sleep(time.Second)
	}
	out := amResp{status: res.StatusCode, body: raw}
	if err := json.Unmarshal(raw, &out); err != nil {
		c.t.Fatalf("POST %s: HTTP %d, not JSON: %s", path, res.StatusCode, amRedact(raw))
	}
	return out
}

// must runs a request that has to succeed without errors and decodes its
// data into out (nil: discard).
func (c *amClient) must(token, query string, vars map[string]any, out any) {
	c.t.Helper()
	res := c.post("/graphql", token, "", query, vars)
	if res.status != http.StatusOK || len(res.Errors) > 0 {
		c.t.Fatalf("setup request failed: HTTP %d %s\nquery: %s", res.status, amRedact(res.body), query)
	}
	if out != nil {
		if err := json.Unmarshal(res.Data, out); err != nil {
			c.t.Fatalf("decoding %s: %v", amRedact(res.Data), err)
		}
	}
}

// amFixture is one locality's synthetic patient and the records the matrix
// reads and changes.
type amFixture struct {
	loc, hospital, practice string
	nhs, given, family, dob string

	refRead string // a UCR referral received 100 minutes ago and accepted: at risk, WAITING
	refMut  string // a referral RECEIVED, for the referral mutations

	episode, keyworker   string   // the caseload episode refRead opened, ACTIVE
	visit, visitDate     string   // a planned visit of the episode, tomorrow
	episodeMut, visitMut string   // another patient's episode and visit, for the caseload mutations
	reqRead, stayRead    string   // a bed request admitted to a bed, with no criteria to reside
	bedRead              string   // the bed of stayRead
	reqPending           string   // a bed request awaiting a decision
	reqAccepted          string   // an accepted bed request awaiting a bed
	stayRes              string   // a reserved bed (patient not yet arrived)
	bedFree, bedFree2    string   // empty beds of the locality's hospital
	bedClean             string   // a bed awaiting clean
	incRead              string   // an open fall, on the floor over an hour, a unit dispatched
	responder            string   // the unit dispatched to incRead
	incMut, incMut2      string   // open falls for the falls mutations
	responderOff         string   // a unit off duty, for setResponderStatus
	extraNHS             []string // the patients of the other bed requests

	// Records an admin made with a known commandId, which others replay.
	replayBedCmd, reqReplay, replayBedNHS string
	replayRefCmd, refReplay, replayRefNHS string
}

// amWorld is everything the matrix needs.
type amWorld struct {
	c      *amClient
	wsURL  string
	tokens map[string]string // by column key: ict, bed_manager, falls_dispatcher, admin, anon ("")
	fx     map[string]*amFixture

	responderFree string // an available level-1 unit for the dispatchResponder row

	// protected lists, per column key, the NHS numbers that must never
	// appear in a response to that viewer (see amProtected).
	protected map[string]map[string]bool
	// allNHS is every NHS number known in the demo data and fixtures.
	allNHS map[string]bool
}

// amStart seeds a data directory, starts one carecoord process on it and
// issues a token per role.
func amStart(t *testing.T) *amWorld {
	t.Helper()
	dataDir := t.TempDir()
	if code, out, errOut := run(t, nil, "seed", "--data-dir", dataDir, "--log-level", "warn"); code != 0 || !strings.Contains(out, "demo data loaded") {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out, errOut)
	}
	_, base := serve(t, dataDir, nil, "--log-level", "warn")
	waitReady(t, base, 30*time.Second)
	w := &amWorld{
		c:     &amClient{t: t, base: base, http: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}},
		wsURL: "ws" + strings.TrimPrefix(base, "http") + "/graphql",
		tokens: map[string]string{
			"ict": issueToken(t, dataDir, "--role", "ict_clinician", "--locality", amLocalityA,
				"--name", "Lee Matrix", "--subject", amLeekSubject, "--org", "RRE"),
			"bed_manager":      issueToken(t, dataDir, "--role", "bed_manager", "--name", "Bea Matrix", "--subject", "u-am-bed-manager"),
			"falls_dispatcher": issueToken(t, dataDir, "--role", "falls_dispatcher", "--name", "Dee Matrix", "--subject", "u-am-dispatcher"),
			"admin":            issueToken(t, dataDir, "--role", "admin", "--name", "Ada Matrix", "--subject", "u-am-admin"),
			"anon":             "",
		},
		fx: map[string]*amFixture{},
	}
	return w
}

// amISO is a time as the API takes it.
func amISO(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// setUp makes the fixtures of both localities.
func (w *amWorld) setUp(t *testing.T) {
	t.Helper()
	admin := w.tokens["admin"]

	var hospitals struct {
		CommunityHospitals []struct {
			ID, LocalityID string
			Wards          []struct {
				Beds []struct {
					ID, Status string
					SideRoom   bool
				}
			}
		}
	}
	w.c.must(admin, `{ communityHospitals { id localityId wards { beds { id status sideRoom } } } }`, nil, &hospitals)
	var units struct {
		Responders []struct{ ID, Level, Status, BaseLocalityID string }
	}
	w.c.must(admin, `{ responders { id level status baseLocalityId } }`, nil, &units)
	var available, offDuty []string
	for _, u := range units.Responders {
		switch {
		case u.Level == "LEVEL_1" && u.Status == "AVAILABLE":
			available = append(available, u.ID)
		case u.Status == "OFF_DUTY":
			offDuty = append(offDuty, u.ID)
		}
	}
	if len(available) < 3 || len(offDuty) < 1 {
		t.Fatalf("the demo data has %d available level-1 units and %d off duty; the matrix needs 3 and 1", len(available), len(offDuty))
	}
	w.responderFree = available[2]

	for i, loc := range []string{amLocalityA, amLocalityB} {
		x := &amFixture{loc: loc, responder: available[i], responderOff: offDuty[min(i, len(offDuty)-1)]}
		var l struct {
			Locality struct{ GpPractices []struct{ Code string } }
		}
		w.c.must(admin, `query($l: ID!) { locality(id: $l) { gpPractices { code } } }`, map[string]any{"l": loc}, &l)
		if len(l.Locality.GpPractices) == 0 {
			t.Fatalf("locality %s has no GP practices", loc)
		}
		x.practice = l.Locality.GpPractices[0].Code
		var free, dirty []string
		for _, h := range hospitals.CommunityHospitals {
			if h.LocalityID != loc {
				continue
			}
			x.hospital = h.ID
			for _, wd := range h.Wards {
				for _, b := range wd.Beds {
					switch {
					case b.Status == "AVAILABLE" && !b.SideRoom:
						free = append([]string{b.ID}, free...)
					case b.Status == "AVAILABLE":
						free = append(free, b.ID)
					case b.Status == "AWAITING_CLEAN":
						dirty = append(dirty, b.ID)
					}
				}
			}
		}
		if x.hospital == "" || len(free) < 4 || len(dirty) < 1 {
			t.Fatalf("locality %s: hospital %q with %d free and %d dirty beds; the matrix needs a hospital with 4 and 1", loc, x.hospital, len(free), len(dirty))
		}
		x.bedClean = dirty[0]
		x.nhs = syntheticNHSNumber(t, fmt.Sprintf("99988%02d01", i))
		x.given, x.family = "Matrixina", "Testpatient"+strings.ToUpper(loc[:1])+loc[1:]
		x.dob = fmt.Sprintf("19%d-0%d-1%d", 38+i, 3+i, 2+i)
		w.fx[loc] = x
		w.setUpFixture(t, x, free)
	}
}

// amPatient is the referral's view of a fixture patient.
func (x *amFixture) patient(nhs string) map[string]any {
	return map[string]any{
		"nhsNumber": nhs, "nhsNumberVerification": "VERIFIED",
		"givenName": x.given, "familyName": x.family, "dateOfBirth": x.dob, "gpPractice": x.practice,
	}
}

// referralInput is a GP referral of the fixture's patient.
func (x *amFixture) referralInput(receivedAt time.Time, ucr bool) map[string]any {
	return x.referralInputFor(x.nhs, receivedAt, ucr)
}

// referralInputFor is a GP referral of patient nhs, of the fixture's
// practice.
func (x *amFixture) referralInputFor(nhs string, receivedAt time.Time, ucr bool) map[string]any {
	priority := "ROUTINE"
	if ucr {
		priority = "URGENT_2H"
	}
	return map[string]any{
		"patient":          x.patient(nhs),
		"referrer":         map[string]any{"source": "GP", "name": "Dr Matrix", "organisationOds": x.practice},
		"receivedAt":       amISO(receivedAt),
		"reason":           map[string]any{"snomedCode": "82971005", "display": "Impaired mobility"},
		"serviceRequested": "Integrated Care Team",
		"priority":         priority,
		"ucr":              ucr,
		"consent":          "GIVEN",
	}
}

// bedRequestInput is an ICT step-up request for patient nhs.
func (x *amFixture) bedRequestInput(nhs string) map[string]any {
	return map[string]any{
		"type": "STEP_UP", "source": "ICT", "priority": "ROUTINE", "clinicalNeed": "Matrix: rehabilitation after a chest infection",
		"patient": map[string]any{"nhsNumber": nhs, "givenName": x.given, "familyName": x.family, "dateOfBirth": x.dob, "gpPractice": x.practice},
	}
}

// fallInput is a telecare alert for the fixture's patient in its locality.
func (x *amFixture) fallInput(estimatedFallAt *time.Time) map[string]any {
	in := map[string]any{
		"source": "TELECARE", "localityId": x.loc,
		"address": map[string]any{"text": "1 Matrix Street"},
		"patient": map[string]any{"nhsNumber": x.nhs, "nhsNumberVerification": "VERIFIED",
			"givenName": x.given, "familyName": x.family, "dateOfBirth": x.dob, "gpPractice": x.practice},
	}
	if estimatedFallAt != nil {
		in["estimatedFallAt"] = amISO(*estimatedFallAt)
		in["alertedAt"] = amISO(estimatedFallAt.Add(10 * time.Minute))
	}
	return in
}

func (w *amWorld) setUpFixture(t *testing.T, x *amFixture, free []string) {
	t.Helper()
	admin := w.tokens["admin"]
	now := time.Now().UTC()
	cmd := func(s string) string { return "am-setup-" + x.loc + "-" + s }
	mut := func(name, input string, in map[string]any, sel string) map[string]any {
		t.Helper()
		var out map[string]map[string]any
		w.c.must(admin, fmt.Sprintf(`mutation($c: String, $in: %s!) { %s(commandId: $c, input: $in) { %s } }`, input, name, sel),
			map[string]any{"c": cmd(name + "-" + fmt.Sprint(len(x.extraNHS)) + "-" + fmt.Sprint(time.Now().UnixNano())), "in": in}, &out)
		return out[name]
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }

	newPatient := func(n int) string {
		nhs := syntheticNHSNumber(t, fmt.Sprintf("99988%02d%02d", strings.Index("lt", x.loc[:1]), 10+n))
		x.extraNHS = append(x.extraNHS, nhs)
		return nhs
	}

	// Referrals: a UCR referral at risk (received 100 minutes ago), accepted,
	// and one still to be triaged.
	ref := mut("receiveReferral", "ReceiveReferralInput", x.referralInput(now.Add(-100*time.Minute), true), "id status")
	x.refRead = str(ref, "id")
	mut("triageReferral", "TriageReferralInput", map[string]any{"referralId": x.refRead, "outcome": "ACCEPT", "at": amISO(now.Add(-99 * time.Minute))}, "status")
	ref = mut("receiveReferral", "ReceiveReferralInput", x.referralInput(now.Add(-30*time.Minute), false), "id status")
	x.refMut = str(ref, "id")

	// Caseload: an accepted referral opens an episode (a reaction), which
	// gets a keyworker, a care plan and a visit tomorrow: the patient's
	// (read), and another patient's (for the caseload mutations: the
	// patient's own episode is suspended once the bed below admits them).
	tomorrow := time.Date(now.Year(), now.Month(), now.Day()+1, 12, 0, 0, 0, time.UTC)
	x.visitDate = tomorrow.Format("2006-01-02")
	x.keyworker = "kw-am-" + x.loc
	episode := func(nhs, referralID string) (episodeID, visitID string) {
		t.Helper()
		eventually(t, 15*time.Second, "caseload opens an episode on the accepted referral", func() (bool, string) {
			var p struct {
				Patient *struct {
					CaseloadEpisodes []struct{ ID, ReferralID string }
				}
			}
			w.c.must(admin, `query($n: String!) { patient(nhsNumber: $n) { caseloadEpisodes { id referralId } } }`, map[string]any{"n": nhs}, &p)
			if p.Patient != nil {
				for _, e := range p.Patient.CaseloadEpisodes {
					if e.ReferralID == referralID {
						episodeID = e.ID
						return true, ""
					}
				}
			}
			return false, "no episode yet"
		})
		mut("assignKeyworker", "AssignKeyworkerInput", map[string]any{"episodeId": episodeID, "keyworkerId": x.keyworker, "keyworkerName": "Kim Matrix"}, "status")
		mut("updateCarePlan", "UpdateCarePlanInput", map[string]any{"episodeId": episodeID, "goals": []string{"Walk to the shop"},
			"nextReviewDate": now.AddDate(0, 0, 30).Format("2006-01-02")}, "status")
		var visits struct {
			ScheduleVisit []struct{ ID string }
		}
		w.c.must(admin, `mutation($c: String, $in: ScheduleVisitInput!) { scheduleVisit(commandId: $c, input: $in) { id } }`,
			map[string]any{"c": cmd("visit-" + episodeID), "in": map[string]any{"episodeId": episodeID, "plannedAt": amISO(tomorrow), "purpose": "REVIEW"}}, &visits)
		if len(visits.ScheduleVisit) != 1 {
			t.Fatalf("scheduleVisit planned %d visits", len(visits.ScheduleVisit))
		}
		return episodeID, visits.ScheduleVisit[0].ID
	}
	other := newPatient(0)
	ref = mut("receiveReferral", "ReceiveReferralInput", x.referralInputFor(other, now.Add(-3*time.Hour), false), "id status")
	mut("triageReferral", "TriageReferralInput", map[string]any{"referralId": str(ref, "id"), "outcome": "ACCEPT"}, "status")
	x.episode, x.visit = episode(x.nhs, x.refRead)
	x.episodeMut, x.visitMut = episode(other, str(ref, "id"))

	// Beds: one stay admitted with no criteria to reside; a request
	// pending, one accepted and one with a reserved bed, each for a patient
	// of its own (a patient has one live request at a time).
	req := mut("raiseBedRequest", "RaiseBedRequestInput", x.bedRequestInput(x.nhs), "id")
	x.reqRead = str(req, "id")
	mut("decideBedRequest", "DecideBedRequestInput", map[string]any{"bedRequestId": x.reqRead, "decision": "ACCEPT"}, "status")
	stay := mut("allocateBed", "AllocateBedInput", map[string]any{"bedRequestId": x.reqRead, "bedId": free[0]}, "id")
	x.stayRead, x.bedRead = str(stay, "id"), free[0]
	mut("admitPatient", "AdmitPatientInput", map[string]any{"stayId": x.stayRead}, "status")
	mut("recordNoCriteriaToReside", "RecordNoCriteriaToResideInput", map[string]any{"stayId": x.stayRead, "delayReason": "AWAITING_HOME_CARE_PACKAGE"}, "status")

	req = mut("raiseBedRequest", "RaiseBedRequestInput", x.bedRequestInput(newPatient(1)), "id")
	x.reqPending = str(req, "id")
	req = mut("raiseBedRequest", "RaiseBedRequestInput", x.bedRequestInput(newPatient(2)), "id")
	x.reqAccepted = str(req, "id")
	mut("decideBedRequest", "DecideBedRequestInput", map[string]any{"bedRequestId": x.reqAccepted, "decision": "ACCEPT"}, "status")
	req = mut("raiseBedRequest", "RaiseBedRequestInput", x.bedRequestInput(newPatient(3)), "id")
	mut("decideBedRequest", "DecideBedRequestInput", map[string]any{"bedRequestId": str(req, "id"), "decision": "ACCEPT"}, "status")
	stay = mut("allocateBed", "AllocateBedInput", map[string]any{"bedRequestId": str(req, "id"), "bedId": free[1]}, "id")
	x.stayRes = str(stay, "id")
	x.bedFree, x.bedFree2 = free[2], free[3]

	// A bed request and a referral made with known commandIds.
	x.replayBedCmd, x.replayBedNHS = "am-replay-bed-"+x.loc, newPatient(4)
	var raised struct{ RaiseBedRequest struct{ ID string } }
	w.c.must(admin, `mutation($c: String, $in: RaiseBedRequestInput!) { raiseBedRequest(commandId: $c, input: $in) { id } }`,
		map[string]any{"c": x.replayBedCmd, "in": x.bedRequestInput(x.replayBedNHS)}, &raised)
	x.reqReplay = raised.RaiseBedRequest.ID
	x.replayRefCmd, x.replayRefNHS = "am-replay-ref-"+x.loc, newPatient(5)
	var received struct{ ReceiveReferral struct{ ID string } }
	w.c.must(admin, `mutation($c: String, $in: ReceiveReferralInput!) { receiveReferral(commandId: $c, input: $in) { id } }`,
		map[string]any{"c": x.replayRefCmd, "in": x.referralInputFor(x.replayRefNHS, now.Add(-time.Hour), false)}, &received)
	x.refReplay = received.ReceiveReferral.ID

	// Falls: a patient on the floor for two hours with a unit on its way,
	// and two fresh alerts.
	fell := now.Add(-2 * time.Hour)
	inc := mut("reportFall", "ReportFallInput", x.fallInput(&fell), "id")
	x.incRead = str(inc, "id")
	mut("triageFall", "TriageFallInput", map[string]any{"incidentId": x.incRead, "injury": "UNINJURED", "redFlags": []string{}}, "status")
	mut("dispatchResponder", "DispatchResponderInput", map[string]any{"incidentId": x.incRead, "responderId": x.responder}, "status")
	inc = mut("reportFall", "ReportFallInput", x.fallInput(nil), "id")
	x.incMut = str(inc, "id")
	inc = mut("reportFall", "ReportFallInput", x.fallInput(nil), "id")
	x.incMut2 = str(inc, "id")
}

// amNHS finds NHS numbers in a response: ten digits, or 3-3-4 with spaces.
var amNHS = regexp.MustCompile(`\b\d{3} ?\d{3} ?\d{4}\b`)

// amRedact removes patient data from a response for a failure message:
// NHS numbers, the fixtures' names and dates of birth; and shortens it.
func amRedact(b []byte) string {
	s := amNHS.ReplaceAllString(string(b), "<nhs>")
	for _, r := range []string{"Matrixina", "Testpatient"} {
		s = strings.ReplaceAll(s, r, "<name>")
	}
	s = regexp.MustCompile(`19\d\d-\d\d-\d\d`).ReplaceAllString(s, "<dob>")
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return s
}

// census learns, as admin, which localities and services every patient of
// the demo data and the fixtures has records in, and from that what each
// viewer must never be shown:
//   - the Leek clinician: patients with records outside Leek and none in it;
//   - the bed manager: patients without a bed request or stay;
//   - the falls dispatcher: patients without an open fall or a bed request
//     raised by the falls response;
//   - no token: everyone.
func (w *amWorld) census(t *testing.T) {
	t.Helper()
	admin := w.tokens["admin"]
	localitiesOf := map[string]map[string]bool{}
	beds, falls := map[string]bool{}, map[string]bool{}
	add := func(nhs, loc string) {
		if nhs == "" {
			return
		}
		if localitiesOf[nhs] == nil {
			localitiesOf[nhs] = map[string]bool{}
		}
		localitiesOf[nhs][loc] = true
	}
	var all struct {
		Localities []struct{ ID string }
	}
	w.c.must(admin, `{ localities { id } }`, nil, &all)
	if len(all.Localities) != 23 {
		t.Fatalf("admin reaches %d localities, want 23", len(all.Localities))
	}
	for _, l := range all.Localities {
		var data struct {
			Locality struct {
				Referrals []struct {
					PatientDetails struct{ NhsNumber *string }
				}
				Caseload       []struct{ NhsNumber string }
				PatientsInBeds []struct{ NhsNumber string }
				OpenFalls      []struct {
					Patient struct{ NhsNumber *string }
				}
			}
		}
		w.c.must(admin, `query($l: ID!) { locality(id: $l) {
			referrals(status: [RECEIVED, INFORMATION_REQUESTED, WAITING, ALLOCATED, FIRST_CONTACT, REJECTED, REDIRECTED, WITHDRAWN, CANCELLED, ENTERED_IN_ERROR]) { patientDetails { nhsNumber } }
			caseload(status: [AWAITING_ALLOCATION, ALLOCATED, ACTIVE, UNDER_REVIEW, SUSPENDED, DISCHARGED, TRANSFERRED, DECEASED]) { nhsNumber }
			patientsInBeds { nhsNumber } openFalls { patient { nhsNumber } } } }`, map[string]any{"l": l.ID}, &data)
		for _, r := range data.Locality.Referrals {
			if r.PatientDetails.NhsNumber != nil {
				add(*r.PatientDetails.NhsNumber, l.ID)
			}
		}
		for _, e := range data.Locality.Caseload {
			add(e.NhsNumber, l.ID)
		}
		for _, s := range data.Locality.PatientsInBeds {
			add(s.NhsNumber, l.ID)
			beds[s.NhsNumber] = true
		}
		for _, f := range data.Locality.OpenFalls {
			if f.Patient.NhsNumber != nil {
				add(*f.Patient.NhsNumber, l.ID)
				falls[*f.Patient.NhsNumber] = true
			}
		}
	}
	var reqs struct {
		BedRequests []struct {
			LocalityID, Source string
			Patient            struct{ NhsNumber string }
		}
	}
	w.c.must(admin, `{ bedRequests { localityId source patient { nhsNumber } } }`, nil, &reqs)
	for _, r := range reqs.BedRequests {
		add(r.Patient.NhsNumber, r.LocalityID)
		beds[r.Patient.NhsNumber] = true
		if r.Source == "FALLS" {
			falls[r.Patient.NhsNumber] = true
		}
	}
	var board struct {
		BedBoard []struct {
			Beds []struct {
				Stay *struct{ NhsNumber, LocalityID string }
			}
		}
	}
	w.c.must(admin, `{ bedBoard { beds { stay { nhsNumber localityId } } } }`, nil, &board)
	for _, wd := range board.BedBoard {
		for _, b := range wd.Beds {
			if b.Stay != nil {
				add(b.Stay.NhsNumber, b.Stay.LocalityID)
				beds[b.Stay.NhsNumber] = true
			}
		}
	}
	for _, x := range w.fx {
		for _, n := range append([]string{x.nhs}, x.extraNHS...) {
			add(n, x.loc)
			beds[n] = true
		}
		falls[x.nhs] = true
	}

	w.allNHS = map[string]bool{}
	w.protected = map[string]map[string]bool{"ict": {}, "bed_manager": {}, "falls_dispatcher": {}, "admin": {}, "anon": {}}
	for nhs, locs := range localitiesOf {
		w.allNHS[nhs] = true
		w.protected["anon"][nhs] = true
		if !locs[amLocalityA] {
			w.protected["ict"][nhs] = true
		}
		if !beds[nhs] {
			w.protected["bed_manager"][nhs] = true
		}
		if !falls[nhs] {
			w.protected["falls_dispatcher"][nhs] = true
		}
	}
	t.Logf("census: %d patients; never shown to the Leek clinician %d, the bed manager %d, the dispatcher %d",
		len(w.allNHS), len(w.protected["ict"]), len(w.protected["bed_manager"]), len(w.protected["falls_dispatcher"]))
}

// leaks lists the NHS numbers in body that the viewer of column key must
// not see.
func (w *amWorld) leaks(key string, body []byte) []string {
	var out []string
	for _, m := range amNHS.FindAll(body, -1) {
		n := strings.ReplaceAll(string(m), " ", "")
		if w.protected[key][n] && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
