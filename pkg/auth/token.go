package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"carecoord/pkg/errs"
)

// Development tokens are EdDSA JWTs signed by a key kept in the data
// directory, issued by `carecoord token`. Production validates tokens from
// the organisation's identity provider instead (a JWKS verifier).
const (
	DevIssuer   = "carecoord-dev"
	DevAudience = "carecoord"
)

// Claims are the token claims carecoord reads.
type Claims struct {
	Name         string   `json:"name,omitempty"`
	Role         Role     `json:"role"`
	Localities   []string `json:"localities,omitempty"`
	Organisation string   `json:"org,omitempty"`
	jwt.RegisteredClaims
}

// DevKey is the local signing key.
type DevKey struct {
	priv ed25519.PrivateKey
}

// LoadOrCreateDevKey reads the key at path, creating it (0600) if missing.
func LoadOrCreateDevKey(path string) (*DevKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
			return nil, err
		}
		return &DevKey{priv: priv}, nil
	}
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("auth: %s is not a PEM key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("auth: %s is not an Ed25519 key", path)
	}
	return &DevKey{priv: priv}, nil
}

// Issue signs a development token for a viewer.
func (k *DevKey) Issue(v Viewer, ttl time.Duration) (string, error) {
	if v.Subject == "" {
		return "", errors.New("auth: a token needs a subject")
	}
	now := time.Now()
	c := Claims{
		Name: v.Name, Role: v.Role, Localities: v.Localities, Organisation: v.Organisation,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: DevIssuer, Audience: jwt.ClaimStrings{DevAudience}, Subject: v.Subject,
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(k.priv)
}

// Verifier turns a bearer token into a Viewer.
type Verifier interface {
	Verify(ctx context.Context, token string) (Viewer, error)
}

// DevVerifier verifies tokens issued by a DevKey.
func (k *DevKey) Verifier() Verifier { return devVerifier{pub: k.priv.Public().(ed25519.PublicKey)} }

type devVerifier struct{ pub ed25519.PublicKey }

func (d devVerifier) Verify(_ context.Context, token string) (Viewer, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return d.pub, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(DevIssuer), jwt.WithAudience(DevAudience), jwt.WithExpirationRequired())
	if err != nil {
		return Viewer{}, errs.Unauthenticated("the token is not valid: get a new one", "token-invalid")
	}
	return viewerFromClaims(c)
}

func viewerFromClaims(c Claims) (Viewer, error) {
	v := Viewer{Subject: c.Subject, Name: c.Name, Role: c.Role, Localities: c.Localities, Organisation: c.Organisation}
	if c.ExpiresAt != nil {
		v.Expires = c.ExpiresAt.Time
	}
	if v.Subject == "" {
		return Viewer{}, errs.Unauthenticated("the token has no subject", "token-subject")
	}
	valid := false
	for _, r := range Roles {
		valid = valid || r == v.Role
	}
	if !valid {
		return Viewer{}, errs.Unauthenticated("the token carries no carecoord role", "token-role")
	}
	return v, nil
}

// Middleware verifies a bearer token, when there is one, and puts its Viewer
// in the request context. A request without a token passes on without a
// viewer (resolvers answer UNAUTHENTICATED where one is needed); a request
// with a bad token is refused with 401.
func Middleware(v Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			unauthorized(w, "use an Authorization: Bearer token")
			return
		}
		viewer, err := v.Verify(r.Context(), strings.TrimSpace(token))
		if err != nil {
			unauthorized(w, err.Error())
			return
		}
		if reason := r.Header.Get("X-Break-Glass-Reason"); reason != "" {
			viewer.BreakGlassReason = reason
		}
		next.ServeHTTP(w, r.WithContext(WithViewer(r.Context(), viewer)))
	})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("WWW-Authenticate", `Bearer realm="carecoord"`)
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprintf(w, `{"errors":[{"message":%q,"extensions":{"code":"UNAUTHENTICATED"}}]}`, msg)
}
