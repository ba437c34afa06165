package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// `carecoord seed` loads demo data through the real commands; the services
// then answer on their subgraphs with locality scoping, and seeding again adds
// nothing.
func TestSeed_then_serve_answers_each_locality(t *testing.T) {
	dataDir := t.TempDir()
	code, out, errOut := run(t, nil, "seed", "--data-dir", dataDir, "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "demo data loaded") {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out, errOut)
	}
	p, base := serve(t, dataDir, nil)
	waitReady(t, base, 30*time.Second)

	token := func(args ...string) string {
		code, out, errOut := run(t, nil, append([]string{"token", "--data-dir", dataDir}, args...)...)
		if code != 0 {
			t.Fatalf("token: %s", errOut)
		}
		return strings.TrimSpace(out)
	}
	ask := func(path, tok, query string) gqlResponse {
		body, _ := json.Marshal(map[string]any{"query": query})
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		return doGraphQL(t, req)
	}

	leek := token("--role", "ict_clinician", "--locality", "leek", "--name", "Sam Example")
	res := ask("/subgraphs/referrals/graphql", leek, `{ locality(id: "leek") { referrals { id status localityId } } }`)
	var refs struct {
		Locality struct {
			Referrals []struct{ ID, Status, LocalityID string }
		}
	}
	if err := json.Unmarshal(res.Data, &refs); err != nil || len(res.Errors) > 0 {
		t.Fatalf("referrals: %s %+v", res.Data, res.Errors)
	}
	if len(refs.Locality.Referrals) == 0 {
		t.Fatal("Leek has no open referrals after seeding")
	}
	for _, r := range refs.Locality.Referrals {
		if r.LocalityID != "leek" {
			t.Fatalf("a Leek clinician got a referral of %s", r.LocalityID)
		}
	}
	if res := ask("/subgraphs/referrals/graphql", leek, `{ locality(id: "tamworth") { referrals { id } } }`); len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("a Leek clinician asked for Tamworth: %s %+v", res.Data, res.Errors)
	}

	dispatcher := token("--role", "falls_dispatcher", "--name", "Dee Spatcher")
	res = ask("/subgraphs/falls/graphql", dispatcher, `{ fallsQueue { id status } responders { callSign status } }`)
	var falls struct {
		FallsQueue []struct{ ID, Status string }
		Responders []struct{ CallSign, Status string }
	}
	if err := json.Unmarshal(res.Data, &falls); err != nil || len(res.Errors) > 0 || len(falls.FallsQueue) == 0 || len(falls.Responders) == 0 {
		t.Fatalf("falls queue: %s %+v", res.Data, res.Errors)
	}

	// Seeding again (the server stopped first: one process owns the store)
	// adds nothing.
	before := len(refs.Locality.Referrals)
	if code := p.stop(10 * time.Second); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	if code, out, errOut := run(t, nil, "seed", "--data-dir", dataDir, "--log-level", "warn"); code != 0 {
		t.Fatalf("second seed: %s %s", out, errOut)
	}
	_, base = serve(t, dataDir, nil)
	waitReady(t, base, 30*time.Second)
	res = ask("/subgraphs/referrals/graphql", leek, `{ locality(id: "leek") { referrals { id } } }`)
	if err := json.Unmarshal(res.Data, &refs); err != nil || len(refs.Locality.Referrals) != before {
		t.Fatalf("after a second seed Leek has %d open referrals, before %d", len(refs.Locality.Referrals), before)
	}
}
