package graphqlhttp

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/graphql-go/graphql/gqlerrors"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"carecoord/pkg/auth"
)

// rateLimitClients is how many clients' buckets are kept. A client whose
// bucket was dropped starts again with a full one, so the bound costs at most
// one extra burst to the least recent client; it stops a stream of new keys
// (addresses) from growing memory.
const rateLimitClients = 10_000

// rateLimiter keeps a token bucket per client.
type rateLimiter struct {
	limit   rate.Limit
	burst   int
	buckets *lru.Cache[string, *rate.Limiter]
}

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	buckets, err := lru.New[string, *rate.Limiter](rateLimitClients)
	if err != nil {
		panic(err)
	}
	return &rateLimiter{limit: rate.Limit(perSecond), burst: burst, buckets: buckets}
}

// take takes a token from key's bucket at now, or reports how long until
// one is there (and takes none).
func (l *rateLimiter) take(key string, now time.Time) (wait time.Duration) {
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(l.limit, l.burst)
		if prev, found, _ := l.buckets.PeekOrAdd(key, b); found {
			b = prev
		}
	}
	r := b.ReserveN(now, 1)
	if !r.OK() {
		return time.Second // a burst below 1, which withDefaults rules out
	}
	if wait = r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
	}
	return wait
}

// ViewerOrIP is the default Options.RateKey: the authenticated viewer's
// subject (so a user's limit follows them across addresses, and users behind
// one NAT do not share one), else the remote IP address. Behind a proxy that
// is the proxy's address: set RateKey to read a header the proxy sets.
func ViewerOrIP(r *http.Request) string {
	if v, ok := auth.From(r.Context()); ok && v.Subject != "" {
		return "viewer:" + v.Subject
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}

// rateLimit refuses a request beyond its client's rate, before the body is
// read: 429 under either media type (the decision is about the client, not
// the GraphQL request), with Retry-After in whole seconds.
func (h *handler) rateLimit(r *http.Request) *requestError {
	if h.limiter == nil {
		return nil
	}
	key := h.opts.RateKey(r)
	if key == "" {
		return nil
	}
	wait := h.limiter.take(key, h.now())
	if wait <= 0 {
		return nil
	}
	secs := max(1, int(math.Ceil(wait.Seconds())))
	return &requestError{
		status: http.StatusTooManyRequests,
		header: http.Header{"Retry-After": {strconv.Itoa(secs)}},
		errs: []gqlerrors.FormattedError{coded(CodeRateLimited,
			"too many requests: at most %g a second (bursts of %d) per user; retry after %d s", h.opts.RatePerSecond, h.opts.RateBurst, secs)},
	}
}
