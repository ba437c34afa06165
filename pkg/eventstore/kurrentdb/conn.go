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
// connection trouble, and why a fresh client is used by one caller at a time
// until it has connected.
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

// retire stops handing c out, puts a fresh client in its place (unless the
// store is closing) and closes c once no call uses it. A client that closed
// itself after failed discovery has no caller blocked on it thanks to the
// gate, so closing it is harmless.
func (s *Store) retire(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.retired.Swap(true) {
		return
	}
	if s.conn == c {
		s.conn = nil // the next lease builds a fresh client
	}
	s.closers.Add(1)
	go func() {
		defer s.closers.Done()
		c.inflight.Wait()
		_ = c.client.Close()
	}()
}

// call runs fn on the current client. When fn fails because the request never
// got to act (client closed, node not the leader), or, if retryUnavailable,
// because the node was unavailable, it is run again on a fresh client, a few
// times with a short pause.
func (s *Store) call(ctx context.Context, retryUnavailable bool, fn func(*esdb.Client) error) error {
	const attempts = 3
	var err error
	for attempt := 1; ; attempt++ {
		var l *lease
		l, err = s.lease(ctx)
		if err != nil {
			return err
		}
		err = fn(l.c.client)
		l.release(err)
		if err == nil || attempt == attempts || ctx.Err() != nil {
			return err
		}
		if !notSent(err) && !(retryUnavailable && unavailable(err)) {
			return err
		}
		s.logger.Debug("kurrentdb: retrying on a fresh connection", "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
}
