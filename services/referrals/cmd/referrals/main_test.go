package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"carecoord/pkg/auth"
	"carecoord/services/referrals/service"
)

func TestGraphQLEndpoint_serves_the_subgraph_to_a_signed_in_clinician(t *testing.T) {
	svc := service.NewForTest(t)
	schema, err := svc.Subgraph.Schema()
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.LoadOrCreateDevKey(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(auth.Middleware(key.Verifier(), graphqlHandler(schema)))
	defer srv.Close()
	token, err := key.Issue(auth.Viewer{Subject: "u-1", Name: "Nurse", Role: auth.ICTClinician, Localities: []string{"leek"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	post := func(token, query string) map[string]any {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query})
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := post(token, `{ locality(id: "leek") { id referrals { id } summary { referralsOpen } } }`)
	if out["errors"] != nil || out["data"].(map[string]any)["locality"].(map[string]any)["id"] != "leek" {
		t.Fatalf("%v", out)
	}
	out = post("", `{ referral(id: "x") { id } }`)
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "UNAUTHENTICATED" {
		t.Fatalf("%v", out)
	}
}
