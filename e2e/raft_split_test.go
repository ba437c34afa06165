package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// Services placed on different nodes of one cluster: n1 (the leader) serves
// the beds and falls subgraphs only; n2 serves referrals and caseload and
// federates beds and falls from n1 over HTTP. They share the replicated
// log, and the process managers run on the leader whichever subgraphs it
// serves: a referral accepted through n2 opens a caseload episode (a
// caseload reaction) that n1 writes.
func TestRaft_services_split_across_nodes_share_the_log(t *testing.T) {
	c := raftClusterOf(t, 2)
	httpAddrs := freeLoopbackAddrs(t, 2)
	n1, n2 := c.nodes[0], c.nodes[1]
	c.startNode(t, n1, "--bootstrap", "--listen", httpAddrs[0], "--services", "beds,falls")
	c.waitLeader(t, 30*time.Second, nil)
	remote := func(name string) string {
		return name + "=http://" + httpAddrs[0] + "/subgraphs/" + name + "/federated"
	}
	c.startNode(t, n2, "--join", n1.raftAddr, "--listen", httpAddrs[1], "--services", "referrals,caseload",
		"--subgraph", remote("beds")+","+remote("falls"))
	waitReady(t, n1.url(), 30*time.Second)
	waitReady(t, n2.url(), 60*time.Second)
	c.waitVoters(t, 30*time.Second)
	if leader, _ := c.waitLeader(t, 10*time.Second, nil); leader != n1 {
		t.Fatalf("leader %s, want n1 (the bootstrap node) for this test's point", leader.id)
	}

	ict := c.token(t, "--role", "ict_clinician", "--locality", "leek", "--name", "Ida Split")
	dispatcher := c.token(t, "--role", "falls_dispatcher", "--name", "Dee Split")
	do := func(base, token, query string, vars map[string]any, out any) {
		t.Helper()
		res := graphqlAsVars(t, base, token, query, vars)
		if len(res.Errors) > 0 || res.Data == nil {
			t.Fatalf("%s: %+v", truncate(query, 80), res.Errors)
		}
		if out != nil {
			if err := json.Unmarshal(res.Data, out); err != nil {
				t.Fatal(err)
			}
		}
	}

	// A fall reported through n2 goes over HTTP to n1's falls subgraph;
	// both nodes' /graphql then show it (n1's from its own read model).
	var fall struct{ ReportFall struct{ ID string } }
	do(n2.url(), dispatcher, `mutation($in: ReportFallInput!) { reportFall(commandId: "split-fall-1", input: $in) { id } }`,
		map[string]any{"in": map[string]any{"source": "TELECARE", "localityId": "leek",
			"address": map[string]any{"text": "1 Example Street, Leek", "postcode": "ST13 5AB"}}}, &fall)
	for _, n := range c.nodes {
		var q struct{ FallsQueue []struct{ ID string } }
		do(n.url(), dispatcher, `{ fallsQueue { id } }`, nil, &q)
		if len(q.FallsQueue) != 1 || q.FallsQueue[0].ID != fall.ReportFall.ID {
			t.Fatalf("%s's falls queue %+v, want the fall reported through n2", n.id, q.FallsQueue)
		}
	}

	// A referral received and accepted through n2 (its own subgraph): the
	// episode is opened by the caseload process manager on the leader, n1,
	// which does not serve caseload; n2's caseload shows it.
	nhs := syntheticNHSNumber(t, "999000456")
	var received struct{ ReceiveReferral struct{ ID string } }
	do(n2.url(), ict, `mutation($in: ReceiveReferralInput!) { receiveReferral(commandId: "split-referral-1", input: $in) { id } }`,
		map[string]any{"in": map[string]any{
			"patient": map[string]any{"nhsNumber": nhs, "nhsNumberVerification": "VERIFIED", "givenName": "Sid", "familyName": "Testperson",
				"dateOfBirth": "1941-02-03", "postcode": "ST13 5AB", "gpPractice": "Z10032"},
			"referrer":         map[string]any{"source": "GP", "name": "Dr Example", "organisationOds": "Z10032"},
			"receivedAt":       time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
			"reason":           map[string]any{"snomedCode": "82971005", "display": "Impaired mobility"},
			"serviceRequested": "Integrated Care Team", "priority": "ROUTINE", "ucr": false, "consent": "GIVEN",
		}}, &received)
	do(n2.url(), ict, `mutation($in: TriageReferralInput!) { triageReferral(commandId: "split-triage-1", input: $in) { status } }`,
		map[string]any{"in": map[string]any{"referralId": received.ReceiveReferral.ID, "outcome": "ACCEPT"}}, nil)
	pollUntil(t, 20*time.Second, 200*time.Millisecond, "the accepted referral's episode on n2", func() (bool, string) {
		var p struct {
			Patient *struct{ CaseloadEpisodes []struct{ ReferralID string } }
		}
		res := graphqlAsVars(t, n2.url(), ict, `query($n: String!) { patient(nhsNumber: $n) { caseloadEpisodes { referralId } } }`, map[string]any{"n": nhs})
		if len(res.Errors) > 0 || json.Unmarshal(res.Data, &p) != nil || p.Patient == nil {
			return false, fmt.Sprintf("%s %+v", res.Data, res.Errors)
		}
		return len(p.Patient.CaseloadEpisodes) == 1 && p.Patient.CaseloadEpisodes[0].ReferralID == received.ReceiveReferral.ID,
			fmt.Sprintf("episodes %+v", p.Patient.CaseloadEpisodes)
	})
	if lines := n2.logLines("consumer active on this node"); len(lines) > 0 {
		t.Fatalf("a process manager ran on n2, which does not lead: %v", truncate(fmt.Sprint(lines[0]), 200))
	}
	if lines := n1.logLines("consumer active on this node"); len(lines) == 0 {
		t.Fatal("no process manager ran on n1, the leader")
	}
}
