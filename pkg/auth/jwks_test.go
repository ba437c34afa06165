package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
)

const (
	testIssuer   = "https://idp.example/realms/nhs"
	testAudience = "carecoord-gateway"
	testKID      = "key-1"
)

// jwksServer serves the public half of key as a one-key JWKS.
func jwksServer(t *testing.T, key *rsa.PrivateKey) *httptest.Server {
	t.Helper()
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	set := map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "kid": testKID, "use": "sig", "alg": "RS256",
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sign(t *testing.T, key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func baseClaims(mod func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"iss": testIssuer, "aud": testAudience, "sub": "u-leek-1", "name": "Sam Clinician",
		"role": "ict_clinician", "localities": []string{"leek", "biddulph"}, "org": "RY9",
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if mod != nil {
		mod(c)
	}
	return c
}

func newVerifier(t *testing.T, srv *httptest.Server, claims auth.ClaimNames) auth.Verifier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := auth.NewJWKSVerifier(ctx, auth.JWKSConfig{URL: srv.URL, Issuer: testIssuer, Audience: testAudience, Claims: claims, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestJWKSVerifier(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := jwksServer(t, key)
	v := newVerifier(t, srv, auth.ClaimNames{})
	ctx := context.Background()

	t.Run("valid token gives the viewer", func(t *testing.T) {
		got, err := v.Verify(ctx, sign(t, key, testKID, baseClaims(nil)))
		if err != nil {
			t.Fatal(err)
		}
		want := auth.Viewer{Subject: "u-leek-1", Name: "Sam Clinician", Role: auth.ICTClinician, Localities: []string{"leek", "biddulph"}, Organisation: "RY9"}
		if got.Subject != want.Subject || got.Name != want.Name || got.Role != want.Role || got.Organisation != want.Organisation || !slices.Equal(got.Localities, want.Localities) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	})
	t.Run("localities as a space or comma separated string", func(t *testing.T) {
		got, err := v.Verify(ctx, sign(t, key, testKID, baseClaims(func(c jwt.MapClaims) { c["localities"] = "leek, biddulph cheadle" })))
		if err != nil || !slices.Equal(got.Localities, []string{"leek", "biddulph", "cheadle"}) {
			t.Fatalf("got %+v, %v", got.Localities, err)
		}
	})

	noneToken, err := jwt.NewWithClaims(jwt.SigningMethodNone, baseClaims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	hsTok := jwt.NewWithClaims(jwt.SigningMethodHS256, baseClaims(nil))
	hsTok.Header["kid"] = testKID
	hsToken, err := hsTok.SignedString([]byte("shared-secret"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"wrong issuer", sign(t, key, testKID, baseClaims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }))},
		{"wrong audience", sign(t, key, testKID, baseClaims(func(c jwt.MapClaims) { c["aud"] = "someone-else" }))},
		{"expired", sign(t, key, testKID, baseClaims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }))},
		{"no expiry", sign(t, key, testKID, baseClaims(func(c jwt.MapClaims) { delete(c, "exp") }))},
		{"not yet valid", sign(t, key, testKID, baseClaims(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() }))},
		{"unknown kid", sign(t, other, "key-unknown", baseClaims(nil))},
		{"signed by another key with the known kid", sign(t, other, testKID, baseClaims(nil))},
		{"alg none", noneToken},
		{"alg HS256", hsToken},
		{"no carecoord role", sign(t, key, testKID, baseClaims(func(c jwt.MapClaims) { c["role"] = "superuser" }))},
		{"no subject", sign(t, key, testKID, baseClaims(func(c jwt.MapClaims) { delete(c, "sub") }))},
		{"garbage", "not.a.jwt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.Verify(ctx, tc.token)
			if !errs.Is(err, errs.KindUnauthenticated) {
				t.Fatalf("got %+v, %v; want UNAUTHENTICATED", got, err)
			}
		})
	}
}

func TestJWKSVerifier_CIS2_nested_claims_and_role_map(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := jwksServer(t, key)
	v := newVerifier(t, srv, auth.ClaimNames{
		Name:         "https://carecoord.example/display_name",
		Role:         "nhsid_nrbac_roles.0.role_code",
		Localities:   "carecoord.localities",
		Organisation: "nhsid_nrbac_roles.0.org_code",
		RoleMap:      map[string]auth.Role{"R8000": auth.ICTClinician, "R8001": auth.BedManager},
	})
	claims := baseClaims(func(c jwt.MapClaims) {
		delete(c, "role")
		delete(c, "name")
		delete(c, "org")
		delete(c, "localities")
		c["https://carecoord.example/display_name"] = "Dr Sam Clinician"
		c["carecoord"] = map[string]any{"localities": "leek,biddulph"}
		c["nhsid_nrbac_roles"] = []any{
			map[string]any{"person_roleid": "5555", "org_code": "RY9", "role_code": "S8000:G8000:R8000"},
			map[string]any{"person_roleid": "5556", "org_code": "RLA", "role_code": "S8000:G8001:R8001"},
		}
	})
	got, err := v.Verify(context.Background(), sign(t, key, testKID, claims))
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "u-leek-1" || got.Name != "Dr Sam Clinician" || got.Role != auth.ICTClinician || got.Organisation != "RY9" ||
		!slices.Equal(got.Localities, []string{"leek", "biddulph"}) {
		t.Fatalf("got %+v", got)
	}

	// A role path through the array without an index takes the first code
	// that maps.
	all := newVerifier(t, srv, auth.ClaimNames{Role: "nhsid_nrbac_roles.role_code", RoleMap: map[string]auth.Role{"R8001": auth.BedManager}})
	got, err = all.Verify(context.Background(), sign(t, key, testKID, claims))
	if err != nil || got.Role != auth.BedManager {
		t.Fatalf("got %+v, %v", got, err)
	}

	// With a role map, an unmapped code is no role, even a carecoord name.
	unmapped := sign(t, key, testKID, baseClaims(nil))
	if _, err := all.Verify(context.Background(), unmapped); !errs.Is(err, errs.KindUnauthenticated) {
		t.Fatalf("unmapped role verified: %v", err)
	}
}

func TestNewJWKSVerifier_refuses_bad_config(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := jwksServer(t, key)
	ctx := context.Background()
	for name, cfg := range map[string]auth.JWKSConfig{
		"no issuer":       {URL: srv.URL, Audience: testAudience},
		"no audience":     {URL: srv.URL, Issuer: testIssuer},
		"no URL":          {Issuer: testIssuer, Audience: testAudience},
		"unknown role":    {URL: srv.URL, Issuer: testIssuer, Audience: testAudience, Claims: auth.ClaimNames{RoleMap: map[string]auth.Role{"R1": "superuser"}}},
		"unreachable URL": {URL: "http://127.0.0.1:1/jwks", Issuer: testIssuer, Audience: testAudience},
	} {
		if _, err := auth.NewJWKSVerifier(ctx, cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
