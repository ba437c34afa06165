package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The matrix's rows. Columns, as in amColumns:
//
//	ict_clinician(leek) on leek | on tamworth | bed_manager | falls_dispatcher | admin | no token
//
// Where a row's reading is the contract's rather than the obvious one, the
// comment says why.
func amRows(w *amWorld) []amRow {
	n := func(x *amFixture) map[string]any { return map[string]any{"n": x.nhs} }
	l := func(x *amFixture) map[string]any { return map[string]any{"l": x.loc} }
	id := func(v string) map[string]any { return map[string]any{"id": v} }
	h := func(x *amFixture) map[string]any { return map[string]any{"h": x.hospital} }
	m := func(s ...string) []string { return s }

	// q is a query row.
	q := func(op, name, svc, expect, query string, vars func(x *amFixture) map[string]any, markers func(x *amFixture) []string) amRow {
		if name == "" {
			name = op
		}
		return amRow{op: op, name: name, svc: svc, expect: expect, req: func(x *amFixture, _ string) amReq {
			r := amReq{query: query}
			if vars != nil {
				r.vars = vars(x)
			}
			if markers != nil {
				r.markers = markers(x)
			}
			return r
		}}
	}
	// loc is a field of Locality, through locality(id:).
	loc := func(name, svc, expect, sel string, markers func(x *amFixture) []string) amRow {
		r := q("", "Locality."+name, svc, expect, `query($l: ID!) { locality(id: $l) { id `+sel+` } }`, l, markers)
		if i := strings.IndexByte(name, '('); i > 0 {
			r.covers = []string{"Locality." + name[:i]}
		}
		return r
	}
	// pat is a field of Patient, through patient(nhsNumber:). The patient's
	// own key is not selected: it is the caller's input, echoed.
	pat := func(name, svc, expect, sel string, markers func(x *amFixture) []string) amRow {
		return q("", "Patient."+name, svc, expect, `query($n: String!) { patient(nhsNumber: $n) { `+sel+` } }`, n, markers)
	}
	path := func(name, expect, query string, vars func(x *amFixture) map[string]any, markers func(x *amFixture) []string, covers ...string) amRow {
		r := q("", "path:"+name, "", expect, query, vars, markers)
		r.covers = covers
		return r
	}

	rows := []amRow{
		// ---- Query: referrals ----
		q("Query.referral", "", "referrals", "A H F F A U", // NOT_FOUND outside your localities (schema)
			`query($id: ID!) { referral(id: $id) { id status patientDetails { nhsNumber familyName } } }`,
			func(x *amFixture) map[string]any { return id(x.refRead) }, func(x *amFixture) []string { return m(x.refRead, x.nhs) }),
		q("Query.ucrPerformance", "", "referrals", "A F F F A U",
			`query($l: ID) { ucrPerformance(localityId: $l) { localityId atRisk atRiskReferrals { id patientDetails { nhsNumber } } } }`,
			l, func(x *amFixture) []string { return m(x.refRead, x.nhs) }),
		// The whole system's figures: counts for any clinician, the at-risk
		// referrals only of their localities.
		q("Query.ucrPerformance", "Query.ucrPerformance(system).atRiskReferrals", "referrals", "A H F F A U",
			`{ ucrPerformance { atRisk atRiskReferrals { id localityId patientDetails { nhsNumber } } } }`,
			nil, func(x *amFixture) []string { return m(x.refRead, x.nhs) }),

		// ---- Query: caseload ----
		q("Query.caseloadEpisode", "", "caseload", "A H F F A U", // null if none you may see (schema)
			`query($id: ID!) { caseloadEpisode(id: $id) { id status nhsNumber patientName } }`,
			func(x *amFixture) map[string]any { return id(x.episode) }, func(x *amFixture) []string { return m(x.episode, x.nhs) }),
		q("Query.keyworkerCaseload", "", "caseload", "A F F F A U",
			`query($l: ID!) { keyworkerCaseload(localityId: $l) { episodes keyworker { id name } } }`,
			l, func(x *amFixture) []string { return m(x.keyworker) }),
		q("Query.visitList", "", "caseload", "A H F F A U", // in the localities you reach (schema)
			`query($c: ID!, $d: String!) { visitList(clinicianId: $c, date: $d) { id plannedAt episode { id nhsNumber } } }`,
			func(x *amFixture) map[string]any { return map[string]any{"c": x.keyworker, "d": x.visitDate} },
			func(x *amFixture) []string { return m(x.visit, x.nhs) }),

		// ---- Query: beds. The bed board's states and counts are no one's
		// data: every signed-in role sees them; the stay in a bed only
		// those who may see the patient. ----
		q("Query.bedBoard", "", "beds", "A H A H A U",
			`query($h: ID) { bedBoard(hospitalId: $h) { id beds { id status stay { id nhsNumber patient { familyName } } } } }`,
			h, func(x *amFixture) []string { return m(x.stayRead, x.nhs) }),
		q("Query.bed", "", "beds", "A H A H A U",
			`query($id: ID!) { bed(id: $id) { id status stay { id nhsNumber } } }`,
			func(x *amFixture) map[string]any { return id(x.bedRead) }, func(x *amFixture) []string { return m(x.stayRead, x.nhs) }),
		q("Query.bedCleaningTurnaround", "", "beds", "A A A A A U",
			`query($h: ID) { bedCleaningTurnaround(hospitalId: $h) { cleans medianMinutes } }`, h, nil),
		q("Query.bedOccupancy", "", "beds", "A A A A A U",
			`{ bedOccupancy { overall { occupied total } hospitals { hospitalId figures { occupied } } } }`, nil, nil),
		q("Query.bedRequest", "", "beds", "A D A D A U",
			`query($id: ID!) { bedRequest(id: $id) { id status source patient { nhsNumber familyName } } }`,
			func(x *amFixture) map[string]any { return id(x.reqRead) }, func(x *amFixture) []string { return m(x.reqRead, x.nhs) }),
		// The dispatcher sees the requests the falls response raised: this
		// one an ICT clinician raised.
		q("Query.bedRequests", "", "beds", "A H A H A U",
			`{ bedRequests { id localityId source patient { nhsNumber } } }`, nil, func(x *amFixture) []string { return m(x.reqRead, x.nhs) }),
		q("Query.bedStay", "", "beds", "A D A D A U",
			`query($id: ID!) { bedStay(id: $id) { id status nhsNumber patient { familyName } } }`,
			func(x *amFixture) map[string]any { return id(x.stayRead) }, func(x *amFixture) []string { return m(x.stayRead, x.nhs) }),
		q("Query.bedsAwaitingClean", "", "beds", "A A A A A U",
			`query($h: ID) { bedsAwaitingClean(hospitalId: $h) { id status stay { id nhsNumber } } }`, h, nil),
		q("Query.communityHospital", "", "beds", "A H A H A U",
			`query($h: ID!) { communityHospital(id: $h) { id name wards { beds { id stay { id nhsNumber } } } } }`,
			h, func(x *amFixture) []string { return m(x.stayRead, x.nhs) }),
		q("Query.communityHospitals", "", "beds", "A A A A A U",
			`{ communityHospitals { id name localityId occupancy { occupied } } }`, nil, nil),
		q("Query.noCriteriaToResidePatients", "", "beds", "A H A F A U",
			`query($h: ID) { noCriteriaToResidePatients(hospitalId: $h) { id nhsNumber noCriteriaToReside { delayReason } } }`,
			h, func(x *amFixture) []string { return m(x.stayRead, x.nhs) }),

		// ---- Query: falls ----
		q("Query.fallIncident", "", "falls", "A D F A A U",
			`query($id: ID!) { fallIncident(id: $id) { id status patient { nhsNumber familyName } } }`,
			func(x *amFixture) map[string]any { return id(x.incRead) }, func(x *amFixture) []string { return m(x.incRead, x.nhs) }),
		q("Query.fallsOverOneHour", "", "falls", "A H F A A U",
			`{ fallsOverOneHour { id localityId patient { nhsNumber } } }`, nil, func(x *amFixture) []string { return m(x.incRead, x.nhs) }),
		q("Query.fallsQueue", "", "falls", "A H F A A U",
			`{ fallsQueue { id localityId patient { nhsNumber } } }`, nil, func(x *amFixture) []string { return m(x.incRead, x.nhs) }),
		// Responder.incident: null outside your reach (schema).
		q("Query.responders", "", "falls", "A H F A A U",
			`{ responders { id status incident { id patient { nhsNumber } } } }`, nil, func(x *amFixture) []string { return m(x.incRead, x.nhs) }),

		// ---- Query: the gateway's own ----
		// The build and store backend are no one's data.
		q("Query.serverInfo", "", "", "A A A A A A", `{ serverInfo { version storeBackend } }`, nil, nil),
		// The store's position, this node of a cluster and the log's digest
		// are operators' business.
		q("Query.serverInfo", "", "", "F F F F A U", `{ serverInfo { logPosition node { id } } }`, nil, nil),
		q("Query.storeDigest", "", "", "F F F F A U", `{ storeDigest(upTo: "10") { events sha256 } }`, nil, nil),
		q("Query.me", "", "", "A A A A A U", `{ me { id role localities } }`, nil, nil),
		q("Query.auditTrail", "", "", "F F F F A U",
			`query($n: String!) { auditTrail(nhsNumber: $n) { userId role operation kind breakGlass } }`, n, nil),
		// The localities you reach: Tamworth is not among the Leek
		// clinician's.
		q("Query.localities", "", "", "A H A A A U", `{ localities { id } }`, nil, func(x *amFixture) []string { return m(`"` + x.loc + `"`) }),
		// A locality's reference data (name, practices) is public within
		// the service; its services' fields are the Locality.* rows.
		q("Query.locality", "", "", "A A A A A U", `query($l: ID!) { locality(id: $l) { id name gpPractices { code name } } }`, l, nil),
		// The entity key only; its fields are the Patient.* rows.
		q("Query.patient", "", "", "A A A A A U", `query($n: String!) { patient(nhsNumber: $n) { __typename } }`, n, nil),

		// ---- Locality's patient fields: FORBIDDEN outside your localities
		// (schema: Query.locality). ----
		loc("referrals", "referrals", "A F F F A U", `referrals { id patientDetails { nhsNumber } }`, func(x *amFixture) []string { return m(x.refRead, x.nhs) }),
		loc("ucrPerformance", "referrals", "A F F F A U", `ucrPerformance { atRisk atRiskReferrals { id } }`, func(x *amFixture) []string { return m(x.refRead) }),
		loc("caseload", "caseload", "A F F F A U", `caseload { id nhsNumber }`, func(x *amFixture) []string { return m(x.episode, x.nhs) }),
		loc("keyworkerCaseload", "caseload", "A F F F A U", `keyworkerCaseload { episodes keyworker { id } }`, func(x *amFixture) []string { return m(x.keyworker) }),
		// Bed managers see every bed's patient, county-wide.
		loc("patientsInBeds", "beds", "A F A F A U", `patientsInBeds { id nhsNumber }`, func(x *amFixture) []string { return m(x.stayRead, x.nhs) }),
		loc("openFalls", "falls", "A F F A A U", `openFalls { id patient { nhsNumber } }`, func(x *amFixture) []string { return m(x.incRead, x.nhs) }),
		// The summary's counts, service by service: each role sees the
		// counts of the services it works with. Locality.summary itself
		// never refuses (the gateway resolves the shared field through one
		// service): each service's count fields check the viewer, the same
		// through the gateway as on the service's own endpoint. The beds
		// counts identify no one, so every signed-in role sees them, a
		// clinician's out-of-reach locality's too
		// (services/beds/app/queries.go).
		loc("summary(referrals)", "referrals", "A F F F A U", `summary { referralsOpen referralsAwaitingTriage ucrAtRisk }`, nil),
		loc("summary(caseload)", "caseload", "A F F F A U", `summary { caseloadSize caseloadActive }`, nil),
		loc("summary(beds)", "beds", "A A A A A U", `summary { bedsOccupied bedRequestsPending bedPatientsNoCriteriaToReside }`, nil),
		loc("summary(falls)", "falls", "A F F A A U", `summary { openFalls fallsOnFloorOverOneHour }`, nil),

		// ---- Patient's fields: they hold only what you may see (schema).
		// Name, date of birth and locality come from the referrals the
		// viewer may see. ----
		pat("name", "referrals", "A H D D A U", `name`, func(x *amFixture) []string { return m(x.family) }),
		pat("dateOfBirth", "referrals", "A H D D A U", `dateOfBirth`, func(x *amFixture) []string { return m(x.dob) }),
		pat("locality", "referrals", "A H D D A U", `locality { id }`, func(x *amFixture) []string { return m(`"` + x.loc + `"`) }),
		pat("referrals", "referrals", "A H D D A U", `referrals { id patientDetails { nhsNumber } }`, func(x *amFixture) []string { return m(x.refRead, x.nhs) }),
		pat("caseloadEpisodes", "caseload", "A H D D A U", `caseloadEpisodes { id nhsNumber }`, func(x *amFixture) []string { return m(x.episode, x.nhs) }),
		pat("bedRequests", "beds", "A H A H A U", `bedRequests { id patient { nhsNumber } }`, func(x *amFixture) []string { return m(x.reqRead, x.nhs) }),
		pat("bedStays", "beds", "A H A H A U", `bedStays { id nhsNumber }`, func(x *amFixture) []string { return m(x.stayRead, x.nhs) }),
		pat("falls", "falls", "A H D A A U", `falls { id patient { nhsNumber } }`, func(x *amFixture) []string { return m(x.incRead, x.nhs) }),
		// Every event of the patient across the services: each role sees
		// the entries of the records it may see (a bed manager the bed
		// request and stay, a dispatcher the fall).
		pat("timeline", "", "A H A A A U", `timeline { at service type refId }`,
			func(x *amFixture) []string { return m(x.refRead, x.episode, x.reqRead, x.stayRead, x.incRead) }),

		// ---- Paths through the graph to a patient's records ----
		path("referral.patient{caseloadEpisodes,bedStays,falls}", "A H F F A U",
			`query($id: ID!) { referral(id: $id) { patient { caseloadEpisodes { id } bedStays { id } falls { id } } } }`,
			func(x *amFixture) map[string]any { return id(x.refRead) }, func(x *amFixture) []string { return m(x.episode, x.stayRead, x.incRead) }),
		path("referral.locality.caseload", "A H F F A U",
			`query($id: ID!) { referral(id: $id) { locality { id caseload { id nhsNumber } } } }`,
			func(x *amFixture) map[string]any { return id(x.refRead) }, func(x *amFixture) []string { return m(x.episode) }),
		path("patient.locality.referrals", "A H D D A U",
			`query($n: String!) { patient(nhsNumber: $n) { locality { referrals { id } } } }`, n, func(x *amFixture) []string { return m(x.refRead) }),
		path("caseloadEpisode.visits.episode", "A H F F A U",
			`query($id: ID!) { caseloadEpisode(id: $id) { visits { id episode { id nhsNumber } } } }`,
			func(x *amFixture) map[string]any { return id(x.episode) }, func(x *amFixture) []string { return m(x.visit, x.nhs) }),
		path("bedStay.bedRequest.patient", "A D A D A U",
			`query($id: ID!) { bedStay(id: $id) { bedRequest { id patient { nhsNumber } } } }`,
			func(x *amFixture) map[string]any { return id(x.stayRead) }, func(x *amFixture) []string { return m(x.reqRead, x.nhs) }),
		path("localities.referrals", "A H F F A U", `{ localities { id referrals { id } } }`, nil, func(x *amFixture) []string { return m(x.refRead) }),
		path("localities.openFalls", "A H F A A U", `{ localities { id openFalls { id patient { nhsNumber } } } }`, nil, func(x *amFixture) []string { return m(x.incRead, x.nhs) }),
		path("bedBoard.stay.bedRequest.patient", "A H A H A U",
			`query($h: ID) { bedBoard(hospitalId: $h) { beds { stay { bedRequest { id patient { nhsNumber } } } } } }`,
			h, func(x *amFixture) []string { return m(x.reqRead, x.nhs) }),
	}
	return append(rows, amMutationRows(w)...)
}

// amMutationRows are the mutations, in workflow order, so that the allowed
// cells mostly succeed; a domain error still counts as allowed.
func amMutationRows(w *amWorld) []amRow {
	// mu is a mutation row: input builds the input object for a fixture.
	mu := func(op, svc, expect, inputType, sel string, input func(x *amFixture) map[string]any, probe func(x *amFixture) amProbe) amRow {
		return amRow{op: "Mutation." + op, name: "Mutation." + op, svc: svc, expect: expect, mutation: true, probe: probe,
			req: func(x *amFixture, cmd string) amReq {
				return amReq{
					query:   fmt.Sprintf(`mutation($c: String, $in: %s!) { %s(commandId: $c, input: $in) { %s } }`, inputType, op, sel),
					vars:    map[string]any{"c": cmd, "in": input(x)},
					markers: []string{x.nhs},
				}
			}}
	}
	pr := func(query string, vars func(x *amFixture) map[string]any) func(x *amFixture) amProbe {
		return func(x *amFixture) amProbe { return amProbe{query: query, vars: vars(x)} }
	}
	referral := pr(`query($id: ID!) { referral(id: $id) { status version } }`, func(x *amFixture) map[string]any { return map[string]any{"id": x.refMut} })
	episode := pr(`query($id: ID!) { caseloadEpisode(id: $id) { status version } }`, func(x *amFixture) map[string]any { return map[string]any{"id": x.episodeMut} })
	request := func(f func(x *amFixture) string) func(x *amFixture) amProbe {
		return pr(`query($id: ID!) { bedRequest(id: $id) { status stayId } }`, func(x *amFixture) map[string]any { return map[string]any{"id": f(x)} })
	}
	stay := func(f func(x *amFixture) string) func(x *amFixture) amProbe {
		return pr(`query($id: ID!) { bedStay(id: $id) { status bedId noCriteriaToReside { delayReason } } }`, func(x *amFixture) map[string]any { return map[string]any{"id": f(x)} })
	}
	bed := func(x *amFixture) amProbe {
		return amProbe{
			query: `query($h: ID) { bedBoard(hospitalId: $h) { beds { id status } } }`,
			vars:  map[string]any{"h": x.hospital},
			pick: func(data json.RawMessage) string {
				var b struct {
					BedBoard []struct{ Beds []struct{ ID, Status string } }
				}
				_ = json.Unmarshal(data, &b)
				for _, wd := range b.BedBoard {
					for _, bd := range wd.Beds {
						if bd.ID == x.bedClean {
							return bd.Status
						}
					}
				}
				return "no such bed"
			},
		}
	}
	incident := func(f func(x *amFixture) string) func(x *amFixture) amProbe {
		return pr(`query($id: ID!) { fallIncident(id: $id) { status patient { nhsNumber } timeline { type } } }`, func(x *amFixture) map[string]any { return map[string]any{"id": f(x)} })
	}
	patientHas := func(sel string) func(x *amFixture) amProbe {
		return pr(`query($n: String!) { patient(nhsNumber: $n) { `+sel+` } }`, func(x *amFixture) map[string]any { return map[string]any{"n": x.nhs} })
	}
	responder := func(x *amFixture) amProbe {
		return amProbe{query: `{ responders { id status } }`, pick: func(data json.RawMessage) string {
			var r struct{ Responders []struct{ ID, Status string } }
			_ = json.Unmarshal(data, &r)
			for _, u := range r.Responders {
				if u.ID == x.responderOff {
					return u.Status
				}
			}
			return "no such unit"
		}}
	}
	now := time.Now().UTC()
	refID := func(x *amFixture) map[string]any { return map[string]any{"referralId": x.refMut} }
	with := func(base map[string]any, kv ...any) map[string]any {
		for i := 0; i+1 < len(kv); i += 2 {
			base[kv[i].(string)] = kv[i+1]
		}
		return base
	}
	ep := func(x *amFixture) map[string]any { return map[string]any{"episodeId": x.episodeMut} }
	inc := func(x *amFixture) map[string]any { return map[string]any{"incidentId": x.incMut} }

	const (
		refs     = "A F F F A U" // ICT clinicians of the referral's locality (and admin)
		caseload = "A F F F A U" // ICT clinicians of the episode's locality (and admin)
		beds     = "F F A F A U" // bed managers, county-wide
		falls    = "F F F A A U" // falls dispatchers, county-wide
	)
	return []amRow{
		// ---- Referrals ----
		mu("receiveReferral", "referrals", refs, "ReceiveReferralInput", "id status",
			func(x *amFixture) map[string]any { return x.referralInput(now.Add(-20*time.Minute), false) }, patientHas(`referrals { id }`)),
		{op: "Mutation.receiveReferral", name: "Mutation.receiveReferral(replayed commandId)", svc: "referrals", expect: "A R F F A U", mutation: true,
			reqFor: func(x *amFixture, _ string, _ amColumn) amReq {
				own := w.fx[amLocalityA]
				return amReq{
					query:   `mutation($c: String, $in: ReceiveReferralInput!) { receiveReferral(commandId: $c, input: $in) { id localityId patientDetails { nhsNumber } } }`,
					vars:    map[string]any{"c": x.replayRefCmd, "in": own.referralInputFor(own.replayRefNHS, now.Add(-time.Hour), false)},
					markers: []string{x.refReplay, x.replayRefNHS},
				}
			}},
		mu("triageReferral", "referrals", refs, "TriageReferralInput", "id status",
			func(x *amFixture) map[string]any {
				return with(refID(x), "outcome", "REQUEST_INFORMATION", "information", "Current medication list")
			}, referral),
		mu("recordReferralInformationReceived", "referrals", refs, "RecordReferralInformationReceivedInput", "id status", refID, referral),
		mu("recordReferralPatientChoice", "referrals", refs, "RecordReferralPatientChoiceInput", "id status",
			func(x *amFixture) map[string]any { return with(refID(x), "preferredAt", amISO(now.Add(48*time.Hour))) }, referral),
		mu("allocateReferral", "referrals", refs, "AllocateReferralInput", "id status",
			func(x *amFixture) map[string]any {
				return with(refID(x), "team", "Matrix ICT", "clinicianId", "clin-am")
			}, referral),
		mu("recordFirstContact", "referrals", refs, "RecordFirstContactInput", "id status", refID, referral),
		mu("withdrawReferral", "referrals", refs, "WithdrawReferralInput", "id status",
			func(x *amFixture) map[string]any {
				return with(refID(x), "kind", "WITHDRAWN", "reason", "Matrix: no longer needed")
			}, referral),

		// ---- Caseload ----
		mu("assignKeyworker", "caseload", caseload, "AssignKeyworkerInput", "id status",
			func(x *amFixture) map[string]any {
				return with(ep(x), "keyworkerId", "kw-am-2", "keyworkerName", "Lou Matrix")
			}, episode),
		mu("updateCarePlan", "caseload", caseload, "UpdateCarePlanInput", "id status",
			func(x *amFixture) map[string]any {
				return with(ep(x), "goals", []string{"Make a cup of tea"}, "nextReviewDate", now.AddDate(0, 0, 20).Format("2006-01-02"))
			}, episode),
		mu("scheduleVisit", "caseload", caseload, "ScheduleVisitInput", "id",
			func(x *amFixture) map[string]any {
				return with(ep(x), "plannedAt", amISO(now.Add(50*time.Hour).Truncate(time.Hour)), "purpose", "WELLBEING_CHECK")
			}, episode),
		mu("reassignVisits", "caseload", caseload, "ReassignVisitsInput", "id",
			func(x *amFixture) map[string]any {
				return with(ep(x), "visitIds", []string{x.visitMut}, "clinicianId", "kw-am-3", "clinicianName", "Ray Matrix")
			}, episode),
		mu("recordVisitOutcome", "caseload", caseload, "RecordVisitOutcomeInput", "id status",
			func(x *amFixture) map[string]any {
				return with(ep(x), "visitId", x.visitMut, "outcome", "CANCELLED", "cancellationReason", "RESCHEDULED")
			}, episode),
		mu("startReview", "caseload", caseload, "StartReviewInput", "id status",
			func(x *amFixture) map[string]any { return with(ep(x), "reason", "REVIEW_DUE") }, episode),
		mu("recordMdtDiscussion", "caseload", caseload, "RecordMdtDiscussionInput", "id status",
			func(x *amFixture) map[string]any {
				return with(ep(x), "discussedAt", amISO(now.Add(-time.Minute)), "concludesReview", true,
					"attendees", []map[string]any{{"role": "GP"}, {"role": "DISTRICT_NURSE"}})
			}, episode),
		mu("suspendEpisode", "caseload", caseload, "SuspendEpisodeInput", "id status",
			func(x *amFixture) map[string]any { return with(ep(x), "reason", "ADMITTED_ACUTE_HOSPITAL") }, episode),
		mu("resumeEpisode", "caseload", caseload, "ResumeEpisodeInput", "id status", ep, episode),
		mu("transferEpisode", "caseload", caseload, "TransferEpisodeInput", "id status",
			func(x *amFixture) map[string]any { return with(ep(x), "toService", "Hospice at home") }, episode),
		mu("recordDeath", "caseload", caseload, "RecordDeathInput", "id status",
			func(x *amFixture) map[string]any { return with(ep(x), "dateOfDeath", now.Format("2006-01-02")) }, episode),
		mu("dischargeFromCaseload", "caseload", caseload, "DischargeFromCaseloadInput", "id status",
			func(x *amFixture) map[string]any { return with(ep(x), "outcome", "GOALS_MET") }, episode),

		// ---- Beds. A step-up request comes from an ICT (of the patient's
		// locality), the falls response or a bed manager; every other step
		// is the bed manager's. This one says source ICT, which a falls
		// dispatcher may not raise (they raise source FALLS). ----
		mu("raiseBedRequest", "beds", "A F A F A U", "RaiseBedRequestInput", "id status",
			func(x *amFixture) map[string]any { return x.bedRequestInput(x.nhs) }, patientHas(`bedRequests { id }`)),
		// A commandId is the client's idempotency key: repeating it answers
		// with the first result. Someone else's commandId, repeated with
		// input the viewer may send, must not answer with someone else's
		// record (a CONFLICT, as receiveReferral answers, would do).
		{op: "Mutation.raiseBedRequest", name: "Mutation.raiseBedRequest(replayed commandId)", svc: "beds", expect: "A R A R A U", mutation: true,
			reqFor: func(x *amFixture, _ string, col amColumn) amReq {
				own := w.fx[amLocalityA] // a request the Leek clinician may raise
				in := own.bedRequestInput(own.replayBedNHS)
				if col.key == "falls_dispatcher" {
					in["source"] = "FALLS" // one the dispatcher may raise
				}
				return amReq{
					query:   `mutation($c: String, $in: RaiseBedRequestInput!) { raiseBedRequest(commandId: $c, input: $in) { id localityId patient { nhsNumber } } }`,
					vars:    map[string]any{"c": x.replayBedCmd, "in": in},
					markers: []string{x.reqReplay, x.replayBedNHS},
				}
			}},
		mu("decideBedRequest", "beds", beds, "DecideBedRequestInput", "id status",
			func(x *amFixture) map[string]any {
				return map[string]any{"bedRequestId": x.reqPending, "decision": "ACCEPT"}
			},
			request(func(x *amFixture) string { return x.reqPending })),
		mu("allocateBed", "beds", beds, "AllocateBedInput", "id status",
			func(x *amFixture) map[string]any {
				return map[string]any{"bedRequestId": x.reqAccepted, "bedId": x.bedFree}
			},
			request(func(x *amFixture) string { return x.reqAccepted })),
		mu("admitPatient", "beds", beds, "AdmitPatientInput", "id status",
			func(x *amFixture) map[string]any { return map[string]any{"stayId": x.stayRes} }, stay(func(x *amFixture) string { return x.stayRes })),
		mu("cancelBedAllocation", "beds", beds, "CancelBedAllocationInput", "id status",
			func(x *amFixture) map[string]any {
				return map[string]any{"stayId": x.stayRes, "reason": "Matrix: conveyed elsewhere"}
			},
			stay(func(x *amFixture) string { return x.stayRes })),
		mu("recordNoCriteriaToReside", "beds", beds, "RecordNoCriteriaToResideInput", "id status",
			func(x *amFixture) map[string]any {
				return map[string]any{"stayId": x.stayRead, "delayReason": "AWAITING_TRANSPORT"}
			},
			stay(func(x *amFixture) string { return x.stayRead })),
		mu("transferPatient", "beds", beds, "TransferPatientInput", "id status",
			func(x *amFixture) map[string]any {
				return map[string]any{"stayId": x.stayRead, "toBedId": x.bedFree2, "reason": "CLINICAL_NEED"}
			}, stay(func(x *amFixture) string { return x.stayRead })),
		mu("dischargePatient", "beds", beds, "DischargePatientInput", "id status",
			func(x *amFixture) map[string]any {
				return map[string]any{"stayId": x.stayRead, "pathway": "P0", "destination": "home", "followUp": map[string]any{"ictReferral": false}}
			}, stay(func(x *amFixture) string { return x.stayRead })),
		mu("markBedClean", "beds", beds, "MarkBedCleanInput", "id status",
			func(x *amFixture) map[string]any { return map[string]any{"bedId": x.bedClean} }, bed),
		mu("closeBed", "beds", beds, "CloseBedInput", "id status",
			func(x *amFixture) map[string]any { return map[string]any{"bedId": x.bedClean, "reason": "STAFFING"} }, bed),
		mu("reopenBed", "beds", beds, "ReopenBedInput", "id status",
			func(x *amFixture) map[string]any { return map[string]any{"bedId": x.bedClean} }, bed),

		// ---- Falls: the dispatchers' ----
		mu("reportFall", "falls", falls, "ReportFallInput", "id status",
			func(x *amFixture) map[string]any { return x.fallInput(nil) }, patientHas(`falls { id }`)),
		mu("linkFallPatient", "falls", falls, "LinkFallPatientInput", "id status",
			func(x *amFixture) map[string]any {
				return map[string]any{"incidentId": x.incMut2, "patient": map[string]any{"nhsNumber": x.nhs, "gpPractice": x.practice}}
			}, incident(func(x *amFixture) string { return x.incMut2 })),
		mu("triageFall", "falls", falls, "TriageFallInput", "id status",
			func(x *amFixture) map[string]any { return with(inc(x), "injury", "UNINJURED", "redFlags", []string{}) },
			incident(func(x *amFixture) string { return x.incMut })),
		mu("dispatchResponder", "falls", falls, "DispatchResponderInput", "id status",
			func(x *amFixture) map[string]any { return with(inc(x), "responderId", w.responderFree) },
			incident(func(x *amFixture) string { return x.incMut })),
		mu("responderEnRoute", "falls", falls, "ResponderEnRouteInput", "id status", inc, incident(func(x *amFixture) string { return x.incMut })),
		mu("responderOnScene", "falls", falls, "ResponderOnSceneInput", "id status", inc, incident(func(x *amFixture) string { return x.incMut })),
		mu("recordFallLift", "falls", falls, "RecordFallLiftInput", "id status", inc, incident(func(x *amFixture) string { return x.incMut })),
		mu("recordFallOutcome", "falls", falls, "RecordFallOutcomeInput", "id status",
			func(x *amFixture) map[string]any { return with(inc(x), "outcome", "LIFTED_LEFT_AT_HOME") },
			incident(func(x *amFixture) string { return x.incMut })),
		mu("closeFall", "falls", falls, "CloseFallInput", "id status", inc, incident(func(x *amFixture) string { return x.incMut })),
		mu("cancelFallDispatch", "falls", falls, "CancelFallDispatchInput", "id status",
			func(x *amFixture) map[string]any { return map[string]any{"incidentId": x.incMut2, "reason": "Matrix"} },
			incident(func(x *amFixture) string { return x.incMut2 })),
		mu("escalateFallTo999", "falls", falls, "EscalateFallTo999Input", "id status",
			func(x *amFixture) map[string]any { return map[string]any{"incidentId": x.incMut2, "reason": "Matrix"} },
			incident(func(x *amFixture) string { return x.incMut2 })),
		mu("setResponderStatus", "falls", falls, "SetResponderStatusInput", "id status",
			func(x *amFixture) map[string]any {
				return map[string]any{"responderId": x.responderOff, "status": "AVAILABLE"}
			}, responder),
	}
}

// amEntityRows ask each service's federated endpoint for the entities it
// extends, by representation, as a gateway in another process would: the
// service checks the viewer again.
func amEntityRows() []amRow {
	ent := func(svc, typ, field, expect, sel string, markers func(x *amFixture) []string) amRow {
		name := "_entities@" + svc + "." + typ + "." + field
		return amRow{name: name, expect: expect, req: func(x *amFixture, _ string) amReq {
			rep := map[string]any{"__typename": typ}
			switch typ {
			case "Patient":
				rep["nhsNumber"] = x.nhs
			case "Locality":
				rep["id"] = x.loc
			case "LocalitySummary":
				rep["localityId"] = x.loc
			}
			r := amReq{
				path:  "/subgraphs/" + svc + "/federated",
				query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on ` + typ + ` { ` + sel + ` } } }`,
				vars:  map[string]any{"r": []any{rep}},
			}
			if markers != nil {
				r.markers = markers(x)
			}
			return r
		}}
	}
	m := func(s ...string) []string { return s }
	return []amRow{
		ent("referrals", "Patient", "referrals", "A H D D A U", `referrals { id patientDetails { nhsNumber } }`, func(x *amFixture) []string { return m(x.refRead, x.nhs) }),
		ent("referrals", "Patient", "referralsTimeline", "A H D D A U", `referralsTimeline { refId }`, func(x *amFixture) []string { return m(x.refRead) }),
		ent("referrals", "Patient", "name", "A H D D A U", `name dateOfBirth`, func(x *amFixture) []string { return m(x.family, x.dob) }),
		ent("referrals", "Locality", "referrals", "A F F F A U", `referrals { id }`, func(x *amFixture) []string { return m(x.refRead) }),
		ent("referrals", "Locality", "ucrPerformance", "A F F F A U", `ucrPerformance { atRiskReferrals { id } }`, func(x *amFixture) []string { return m(x.refRead) }),
		ent("referrals", "LocalitySummary", "counts", "A F F F A U", `referralsOpen ucrAtRisk`, nil),

		ent("caseload", "Patient", "caseloadEpisodes", "A H D D A U", `caseloadEpisodes { id nhsNumber }`, func(x *amFixture) []string { return m(x.episode, x.nhs) }),
		ent("caseload", "Patient", "caseloadTimeline", "A H D D A U", `caseloadTimeline { refId }`, func(x *amFixture) []string { return m(x.episode) }),
		ent("caseload", "Locality", "caseload", "A F F F A U", `caseload { id nhsNumber }`, func(x *amFixture) []string { return m(x.episode, x.nhs) }),
		ent("caseload", "Locality", "keyworkerCaseload", "A F F F A U", `keyworkerCaseload { keyworker { id } }`, func(x *amFixture) []string { return m(x.keyworker) }),
		ent("caseload", "LocalitySummary", "counts", "A F F F A U", `caseloadSize`, nil),

		ent("beds", "Patient", "bedRequests", "A H A H A U", `bedRequests { id patient { nhsNumber } }`, func(x *amFixture) []string { return m(x.reqRead, x.nhs) }),
		ent("beds", "Patient", "bedStays", "A H A H A U", `bedStays { id nhsNumber }`, func(x *amFixture) []string { return m(x.stayRead, x.nhs) }),
		ent("beds", "Patient", "bedsTimeline", "A H A H A U", `bedsTimeline { refId }`, func(x *amFixture) []string { return m(x.reqRead, x.stayRead) }),
		ent("beds", "Locality", "patientsInBeds", "A F A F A U", `patientsInBeds { id nhsNumber }`, func(x *amFixture) []string { return m(x.stayRead, x.nhs) }),
		ent("beds", "LocalitySummary", "counts", "A A A A A U", `bedsOccupied bedRequestsPending`, nil),

		ent("falls", "Patient", "falls", "A H D A A U", `falls { id patient { nhsNumber } }`, func(x *amFixture) []string { return m(x.incRead, x.nhs) }),
		ent("falls", "Patient", "fallsTimeline", "A H D A A U", `fallsTimeline { refId }`, func(x *amFixture) []string { return m(x.incRead) }),
		ent("falls", "Locality", "openFalls", "A F F A A U", `openFalls { id patient { nhsNumber } }`, func(x *amFixture) []string { return m(x.incRead, x.nhs) }),
		ent("falls", "LocalitySummary", "counts", "A F F A A U", `openFalls fallsOnFloorOverOneHour`, nil),
	}
}
