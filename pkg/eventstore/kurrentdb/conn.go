package kurrentdb

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"carecoord/pkg/eventstore"
)

// conn is one esdb.Client and the calls using it. See the package
// documentation for why clients are replaced rather than reused after
// connection trouble, why a fresh client is used by one caller at a time
// until it has connected, and why calls run in goroutines of their own.
type conn struct {
	client *esdb.Client
	// gate holds one token while a caller uses a client that has not yet
	// completed a call (and so may still be discovering the cluster).
	gate  chan struct{}
	ready atomic.Bool
	// retired is set when the store stops handing the client out.
	retired atomic.Bool
	// inflight counts calls (and subscriptions) using the client; a retired
	// client is closed when it reaches zero.
	inflight sync.WaitGroup
}

func (s *Store) newConn() (*conn, error) {
	conf := *s.conf // the client keeps the pointer; each client gets its own copy
	client, err := esdb.NewClient(&conf)
	if err != nil {
		return nil, err
	}
	return &conn{client: client, gate: make(chan struct{}, 1)}, nil
}

// lease is the right to make calls on a conn.
type lease struct {
	s    *Store
	c    *conn
	gate bool // holding the conn's gate
}

// lease returns the current client, waiting (as ctx allows) while another
// caller establishes a fresh one.
func (s *Store) lease(ctx context.Context) (*lease, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, eventstore.ErrClosed
		}
		if s.conn == nil {
			c, err := s.newConn()
			if err != nil {
				s.mu.Unlock()
				return nil, err
			}
			s.conn = c
		}
		c := s.conn
		c.inflight.Add(1)
		s.mu.Unlock()

		if c.ready.Load() {
			return &lease{s: s, c: c}, nil
		}
		select {
		case c.gate <- struct{}{}:
		case <-ctx.Done():
			c.inflight.Done()
			return nil, ctx.Err()
		case <-s.closing:
			c.inflight.Done()
			return nil, eventstore.ErrClosed
		}
		switch {
		case c.retired.Load():
			// Its first call failed while we waited: take the next one.
			<-c.gate
			c.inflight.Done()
			continue
		case c.ready.Load():
			<-c.gate
			return &lease{s: s, c: c}, nil
		default:
			return &lease{s: s, c: c, gate: true}, nil
		}
	}
}

// established records the outcome of the call that needed a connection: the
// client is retired after connection trouble and marked ready otherwise (the
// server answered, even if with an error), and the gate is released.
func (l *lease) established(err error) {
	if connectionTrouble(err) {
		l.s.retire(l.c)
	} else if l.gate {
		l.c.ready.Store(true)
	}
	if l.gate {
		l.gate = false
		<-l.c.gate
	}
}

// release ends the lease; err is the outcome of its last call.
func (l *lease) release(err error) {
	l.established(err)
	l.c.inflight.Done()
}

// retire stops handing c out (the next lease builds a fresh client) and
// closes c once no call uses it. A call stuck inside the client (see the
// package documentation) keeps it open rather than make it panic.
func (s *Store) retire(c *conn) {
	if c.retired.Swap(true) {
		return
	}
	s.mu.Lock()
	if s.conn == c {
		s.conn = nil
	}
	s.mu.Unlock()
	go func() {
		c.inflight.Wait()
		_ = c.client.Close()
	}()
}

// call runs fn on the current client, in a goroutine of its own so that the
// caller leaves when ctx ends, or with ErrClosed when the store closes, even
// if the client is stuck. When fn fails because the request never got to act
// (client closed, node not the leader), or, if retryUnavailable, because the
// node was unavailable, it is run again on a fresh client, a few times with a
// short pause.
func call[T any](ctx context.Context, s *Store, retryUnavailable bool, fn func(*esdb.Client) (T, error)) (T, error) {
	var zero T
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return zero, eventstore.ErrClosed
	}
	s.calls.Add(1)
	s.mu.Unlock()
	defer s.calls.Done()

	type result struct {
		v   T
		err error
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		l, err := s.lease(ctx)
		if err != nil {
			return zero, err
		}
		done := make(chan result, 1)
		go func() {
			v, err := fn(l.c.client)
			l.release(err)
			done <- result{v, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-ctx.Done():
			return zero, ctx.Err()
		case <-s.closing:
			return zero, eventstore.ErrClosed
		}
		if r.err == nil || attempt == attempts || ctx.Err() != nil {
			return r.v, r.err
		}
		if !notSent(r.err) && !(retryUnavailable && unavailable(r.err)) {
			return r.v, r.err
		}
		s.logger.Debug("kurrentdb: retrying on a fresh connection", "attempt", attempt, "err", r.err)
		t := time.NewTimer(time.Duration(attempt) * 100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, r.err
		case <-s.closing:
			t.Stop()
			return zero, eventstore.ErrClosed
		case <-t.C:
		}
	}
}

// subscribeToAll starts a server subscription on a leased client. Like call,
// it leaves when ctx ends even if the client is stuck; a subscription that
// arrives after that is closed. The returned lease is released by the caller
// when it is done with the subscription.
func (s *Store) subscribeToAll(ctx context.Context, opts esdb.SubscribeToAllOptions) (*esdb.Subscription, *lease, error) {
	l, err := s.lease(ctx)
	if err != nil {
		return nil, nil, err
	}
	type result struct {
		es  *esdb.Subscription
		err error
	}
	done := make(chan result, 1)
	go func() {
		es, err := l.c.client.SubscribeToAll(ctx, opts)
		l.established(err)
		if err != nil {
			l.release(err)
		}
		done <- result{es, err}
	}()
	select {
	case r := <-done:
		return r.es, l, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.err == nil {
				_ = r.es.Close()
				l.release(nil)
			}
		}()
		return nil, nil, ctx.Err()
	}
}

// waitTimeout waits for wg for at most d, reporting whether it finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
