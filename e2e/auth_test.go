package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A user gets a token from `carecoord token` on the same data directory and
// the server knows who they are; a forged or missing token is refused.
func TestServe_tokens_from_carecoord_token_identify_the_user(t *testing.T) {
	dataDir := t.TempDir()
	_, base := serve(t, dataDir, nil)
	waitReady(t, base, 10*time.Second)

	code, out, errOut := run(t, nil, "token", "--data-dir", dataDir, "--role", "ict_clinician", "--locality", "leek", "--locality", "biddulph", "--name", "Sam Example")
	if code != 0 {
		t.Fatalf("carecoord token: exit %d: %s", code, errOut)
	}
	token := strings.TrimSpace(out)

	me := func(authz string) (int, gqlResponse) {
		body, _ := json.Marshal(map[string]any{"query": "{ me { id name role localities } }"})
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		res := doGraphQL(t, req)
		return res.Status, res
	}

	status, res := me("Bearer " + token)
	var data struct {
		Me struct {
			Name, Role string
			Localities []string
		}
	}
	if err := json.Unmarshal(res.Data, &data); status != 200 || err != nil {
		t.Fatalf("me: %d %s %+v", status, res.Data, res.Errors)
	}
	if data.Me.Name != "Sam Example" || data.Me.Role != "ict_clinician" || strings.Join(data.Me.Localities, ",") != "leek,biddulph" {
		t.Fatalf("me = %+v", data.Me)
	}

	if status, res := me("Bearer " + token[:len(token)-4] + "AAAA"); status != http.StatusUnauthorized || len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Fatalf("forged token: %d %+v", status, res.Errors)
	}
	if _, res := me(""); len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Fatalf("no token: %+v", res.Errors)
	}
}
