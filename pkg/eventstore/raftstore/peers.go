package raftstore

import (
	"context"
	"errors"
	"fmt"
	"net/rpc"
	"sync"
	"time"

	"carecoord/pkg/eventstore"
)

// peers keeps RPC clients to other nodes. A net/rpc client multiplexes
// concurrent calls over one connection; a couple per node spread the
// encoding work when many writes are forwarded at once.
type peers struct {
	m *mux
	// maxWait bounds a call whose context has no deadline, so that a leader
	// that stopped answering (frozen, or cut off without a reset) does not
	// hold the caller for ever.
	maxWait time.Duration

	mu      sync.Mutex
	closed  bool
	clients map[string][]*rpc.Client
	next    int
}

const (
	clientsPerPeer = 2
	dialTimeout    = 5 * time.Second
)

func newPeers(m *mux, maxWait time.Duration) *peers {
	return &peers{m: m, maxWait: maxWait, clients: make(map[string][]*rpc.Client)}
}

func (p *peers) client(addr string) (*rpc.Client, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, eventstore.ErrClosed
	}
	if cs := p.clients[addr]; len(cs) >= clientsPerPeer {
		p.next++
		c := cs[p.next%len(cs)]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	conn, err := p.m.dial(addr, protoRPC, dialTimeout)
	if err != nil {
		return nil, err
	}
	c := rpc.NewClient(conn)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return nil, eventstore.ErrClosed
	}
	if cs := p.clients[addr]; len(cs) >= clientsPerPeer {
		// Others dialled meanwhile: use theirs.
		c.Close()
		return cs[0], nil
	}
	p.clients[addr] = append(p.clients[addr], c)
	return c, nil
}

// drop forgets a client whose connection failed.
func (p *peers) drop(addr string, c *rpc.Client) {
	p.mu.Lock()
	cs := p.clients[addr]
	for i := range cs {
		if cs[i] == c {
			p.clients[addr] = append(cs[:i:i], cs[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	c.Close()
}

// call invokes method at addr. A failure to reach the node is a
// *peerError (retryable); the caller's cancellation is its context's error.
func (p *peers) call(ctx context.Context, addr, method string, args, reply any) error {
	c, err := p.client(addr)
	if err != nil {
		if errors.Is(err, eventstore.ErrClosed) {
			return err
		}
		return &peerError{addr: addr, err: err}
	}
	call := c.Go(method, args, reply, make(chan *rpc.Call, 1))
	var noAnswer <-chan time.Time
	if _, ok := ctx.Deadline(); !ok {
		t := time.NewTimer(p.maxWait)
		defer t.Stop()
		noAnswer = t.C
	}
	select {
	case <-noAnswer:
		p.drop(addr, c)
		return &peerError{addr: addr, err: fmt.Errorf("no answer within %s", p.maxWait)}
	case <-call.Done:
		if call.Error == nil {
			return nil
		}
		var se rpc.ServerError
		if errors.As(call.Error, &se) {
			// The node answered but could not run the method (an older
			// version?): not a connection problem, not retried.
			return errors.New("raftstore: " + method + " at " + addr + ": " + string(se))
		}
		p.drop(addr, c)
		return &peerError{addr: addr, err: call.Error}
	case <-ctx.Done():
		// The reply, if it comes, lands in a value nobody reads.
		return ctx.Err()
	}
}

func (p *peers) close() {
	p.mu.Lock()
	p.closed = true
	all := p.clients
	p.clients = nil
	p.mu.Unlock()
	for _, cs := range all {
		for _, c := range cs {
			c.Close()
		}
	}
}
