package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"carecoord/pkg/errs"
)

// ClaimNames say where in a token's claims the Viewer's fields are. Each is
// a claim name or a dotted path into nested claims: "nhsid_nrbac_roles.0.role_code"
// is the role_code of the first element of the nhsid_nrbac_roles array. A
// claim whose own name holds dots ("https://example.org/roles") is found
// too: at each level the longest name present wins. A path through an array
// without an index collects the value from every element.
type ClaimNames struct {
	// Subject defaults to "sub".
	Subject string
	// Name defaults to "name".
	Name string
	// Role defaults to "role". It may reach a string or a list of strings;
	// the first that names (or, with RoleMap, maps to) a carecoord role wins.
	Role string
	// Localities defaults to "localities": a list of strings, or one string
	// separated by spaces or commas.
	Localities string
	// Organisation defaults to "org".
	Organisation string
	// RoleMap maps the identity provider's role codes to carecoord roles
	// (e.g. the NHS CIS2 RBAC code "R8000" to ict_clinician). A code is
	// looked up whole and then, for CIS2's "S8000:G8000:R8000" form, by its
	// last colon-separated part. When RoleMap is set, only mapped codes
	// count; when it is empty, the claim must carry a carecoord role name.
	RoleMap map[string]Role
}

// withDefaults fills in the default claim names.
func (n ClaimNames) withDefaults() ClaimNames {
	def := func(s *string, d string) {
		if strings.TrimSpace(*s) == "" {
			*s = d
		}
	}
	def(&n.Subject, "sub")
	def(&n.Name, "name")
	def(&n.Role, "role")
	def(&n.Localities, "localities")
	def(&n.Organisation, "org")
	return n
}

// JWKSConfig configures a verifier of an OIDC identity provider's tokens.
type JWKSConfig struct {
	// URL is the provider's JWKS endpoint (its discovery document's jwks_uri).
	URL string
	// Issuer must equal the token's iss.
	Issuer string
	// Audience must be one of the token's aud.
	Audience string
	// Claims say where the viewer's fields are.
	Claims ClaimNames
	// HTTPClient fetches the key set; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// JWKSAlgorithms are the signing algorithms a JWKS verifier accepts: public
// key algorithms only, never "none" or a shared-secret HS*.
var JWKSAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// jwksLeeway is the clock skew allowed on exp, nbf and iat.
const jwksLeeway = 30 * time.Second

// NewJWKSVerifier fetches the key set at cfg.URL and returns a Verifier of
// the provider's tokens. The set is refreshed hourly, and when a token names
// a key ID the set does not hold (at most every five minutes), until ctx
// ends. It fails when the set cannot be fetched at start, so that a wrong URL
// shows at once.
func NewJWKSVerifier(ctx context.Context, cfg JWKSConfig) (Verifier, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, errors.New("auth: JWKS verifier needs the JWKS URL")
	}
	if strings.TrimSpace(cfg.Issuer) == "" {
		return nil, errors.New("auth: JWKS verifier needs the OIDC issuer")
	}
	if strings.TrimSpace(cfg.Audience) == "" {
		return nil, errors.New("auth: JWKS verifier needs the OIDC audience")
	}
	for code, r := range cfg.Claims.RoleMap {
		if !knownRole(r) {
			return nil, fmt.Errorf("auth: role map: %q maps to %q, which is not a carecoord role (%s)", code, r, roleNames())
		}
	}
	fail := false
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.URL}, keyfunc.Override{
		Client:                    cfg.HTTPClient,
		HTTPTimeout:               10 * time.Second,
		NoErrorReturnFirstHTTPReq: &fail,
	})
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS %s: %w", cfg.URL, err)
	}
	return &jwksVerifier{
		kf:     kf,
		claims: cfg.Claims.withDefaults(),
		parser: jwt.NewParser(
			jwt.WithValidMethods(JWKSAlgorithms),
			jwt.WithIssuer(cfg.Issuer), jwt.WithAudience(cfg.Audience),
			jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(jwksLeeway)),
	}, nil
}

type jwksVerifier struct {
	kf     keyfunc.Keyfunc
	claims ClaimNames
	parser *jwt.Parser
}

func (j *jwksVerifier) Verify(ctx context.Context, token string) (Viewer, error) {
	mc := jwt.MapClaims{}
	if _, err := j.parser.ParseWithClaims(token, mc, j.kf.KeyfuncCtx(ctx)); err != nil {
		return Viewer{}, errs.Unauthenticated("the token is not valid: get a new one", "token-invalid")
	}
	n := j.claims
	v := Viewer{
		Subject:      firstString(claimValues(mc, n.Subject)),
		Name:         firstString(claimValues(mc, n.Name)),
		Organisation: firstString(claimValues(mc, n.Organisation)),
		Localities:   localities(claimValues(mc, n.Localities)),
		Role:         n.role(claimValues(mc, n.Role)),
	}
	exp, _ := mc.GetExpirationTime()
	return viewerFromClaims(Claims{
		Name: v.Name, Role: v.Role, Localities: v.Localities, Organisation: v.Organisation,
		RegisteredClaims: jwt.RegisteredClaims{Subject: v.Subject, ExpiresAt: exp},
	})
}

// role is the first value that is, or maps to, a carecoord role.
func (n ClaimNames) role(vals []any) Role {
	for _, s := range flatStrings(vals) {
		s = strings.TrimSpace(s)
		if len(n.RoleMap) == 0 {
			if knownRole(Role(s)) {
				return Role(s)
			}
			continue
		}
		if r, ok := n.RoleMap[s]; ok {
			return r
		}
		if i := strings.LastIndexByte(s, ':'); i >= 0 {
			if r, ok := n.RoleMap[s[i+1:]]; ok {
				return r
			}
		}
	}
	return ""
}

func knownRole(r Role) bool {
	for _, k := range Roles {
		if k == r {
			return true
		}
	}
	return false
}

func roleNames() string {
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// claimValues returns the values at a dotted path in claims.
func claimValues(claims map[string]any, path string) []any {
	return walk(map[string]any(claims), strings.Split(path, "."))
}

func walk(v any, segs []string) []any {
	if len(segs) == 0 {
		if v == nil {
			return nil
		}
		return []any{v}
	}
	switch x := v.(type) {
	case map[string]any:
		// The longest name first, so that "https://a.example/roles" is one claim.
		for i := len(segs); i >= 1; i-- {
			if next, ok := x[strings.Join(segs[:i], ".")]; ok {
				return walk(next, segs[i:])
			}
		}
	case []any:
		if idx, err := strconv.Atoi(segs[0]); err == nil {
			if idx >= 0 && idx < len(x) {
				return walk(x[idx], segs[1:])
			}
			return nil
		}
		var out []any
		for _, e := range x {
			out = append(out, walk(e, segs)...)
		}
		return out
	}
	return nil
}

// flatStrings flattens values to their strings (lists are expanded).
func flatStrings(vals []any) []string {
	var out []string
	for _, v := range vals {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			out = append(out, flatStrings(x)...)
		}
	}
	return out
}

func firstString(vals []any) string {
	for _, s := range flatStrings(vals) {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// localities splits strings on spaces and commas.
func localities(vals []any) []string {
	var out []string
	for _, s := range flatStrings(vals) {
		out = append(out, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })...)
	}
	return out
}
