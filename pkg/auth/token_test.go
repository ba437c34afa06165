package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"carecoord/pkg/auth"
)

func TestDevKey_issues_tokens_it_verifies_and_survives_reload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev-signing-key")
	k, err := auth.LoadOrCreateDevKey(path)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := k.Issue(auth.Viewer{Subject: "u-leek-1", Name: "Sam Clinician", Role: auth.ICTClinician, Localities: []string{"leek"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := auth.LoadOrCreateDevKey(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := k2.Verifier().Verify(context.Background(), tok)
	if err != nil || v.Subject != "u-leek-1" || v.Role != auth.ICTClinician || len(v.Localities) != 1 {
		t.Fatalf("verified %+v, %v", v, err)
	}
	other, _ := auth.LoadOrCreateDevKey(filepath.Join(t.TempDir(), "k"))
	if _, err := other.Verifier().Verify(context.Background(), tok); err == nil {
		t.Fatal("a token signed by another key verified")
	}
	expired, _ := k.Issue(auth.Viewer{Subject: "u", Role: auth.Admin}, -2*time.Minute)
	if _, err := k.Verifier().Verify(context.Background(), expired); err == nil {
		t.Fatal("an expired token verified")
	}
	noRole, _ := k.Issue(auth.Viewer{Subject: "u", Role: "superuser"}, time.Hour)
	if _, err := k.Verifier().Verify(context.Background(), noRole); err == nil {
		t.Fatal("a token with an unknown role verified")
	}
}

func TestMiddleware(t *testing.T) {
	k, _ := auth.LoadOrCreateDevKey(filepath.Join(t.TempDir(), "k"))
	var got auth.Viewer
	var had bool
	h := auth.Middleware(k.Verifier(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, had = auth.From(r.Context())
	}))
	tok, _ := k.Issue(auth.Viewer{Subject: "u1", Role: auth.BedManager}, time.Hour)
	for _, tc := range []struct {
		header string
		status int
		viewer bool
	}{{"", 200, false}, {"Bearer " + tok, 200, true}, {"Bearer nonsense", 401, false}, {"Basic abc", 401, false}} {
		had = false
		req := httptest.NewRequest("POST", "/graphql", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status || had != tc.viewer {
			t.Fatalf("%q: status %d viewer %v", tc.header, rec.Code, had)
		}
	}
	if got.Role != auth.BedManager {
		t.Fatalf("viewer %+v", got)
	}
}
