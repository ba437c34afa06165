package auth

import (
	"context"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// A client sends the same token with every request until it expires, and
// checking its signature (Ed25519, or RSA for most OIDC providers) is the
// dearest part of serving a small query. Cached remembers the tokens it
// verified, for a short while: never past the token's expiry, and no longer
// than MaxAge, so that a signing key withdrawn from the JWKS stops being
// trusted within MaxAge. Failures are not remembered.

// CacheMaxAge bounds how long a verified token is trusted without being
// checked again.
const CacheMaxAge = time.Minute

// cacheSize bounds how many tokens are remembered: far more than the users
// active in a minute.
const cacheSize = 10000

type cached struct {
	next  Verifier
	now   func() time.Time
	cache *lru.Cache[string, cachedViewer]
}

type cachedViewer struct {
	v     Viewer
	until time.Time
}

// Cached wraps v with a cache of verified tokens.
func Cached(v Verifier) Verifier {
	c, err := lru.New[string, cachedViewer](cacheSize)
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return &cached{next: v, now: time.Now, cache: c}
}

func (c *cached) Verify(ctx context.Context, token string) (Viewer, error) {
	now := c.now()
	if e, ok := c.cache.Get(token); ok && now.Before(e.until) {
		return e.v, nil
	}
	v, err := c.next.Verify(ctx, token)
	if err != nil {
		return v, err
	}
	until := now.Add(CacheMaxAge)
	if !v.Expires.IsZero() && v.Expires.Before(until) {
		until = v.Expires
	}
	c.cache.Add(token, cachedViewer{v: v, until: until})
	return v, nil
}
