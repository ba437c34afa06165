package auth

import (
	"context"
	"errors"
	"testing"
	"time"
)

// countingVerifier counts the verifications that reach it.
type countingVerifier struct {
	n   int
	v   Viewer
	err error
}

func (c *countingVerifier) Verify(context.Context, string) (Viewer, error) {
	c.n++
	return c.v, c.err
}

func TestCached_remembers_a_verified_token_until_its_expiry_or_max_age(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	next := &countingVerifier{v: Viewer{Subject: "u1", Role: ICTClinician, Expires: now.Add(90 * time.Second)}}
	c := Cached(next).(*cached)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	for range 3 {
		if v, err := c.Verify(ctx, "tok"); err != nil || v.Subject != "u1" {
			t.Fatalf("Verify = %+v, %v", v, err)
		}
	}
	if next.n != 1 {
		t.Fatalf("verified %d times, want once while cached", next.n)
	}
	now = now.Add(CacheMaxAge) // max age reached: checked again
	c.Verify(ctx, "tok")
	if next.n != 2 {
		t.Fatalf("verified %d times after max age, want 2", next.n)
	}
	now = now.Add(30 * time.Second) // the token's expiry, before max age
	c.Verify(ctx, "tok")
	if next.n != 3 {
		t.Fatalf("verified %d times at expiry, want 3", next.n)
	}
}

func TestCached_does_not_remember_failures(t *testing.T) {
	next := &countingVerifier{err: errors.New("bad")}
	c := Cached(next)
	for range 2 {
		if _, err := c.Verify(context.Background(), "tok"); err == nil {
			t.Fatal("want the failure")
		}
	}
	if next.n != 2 {
		t.Fatalf("verified %d times, want every failure checked again", next.n)
	}
}
