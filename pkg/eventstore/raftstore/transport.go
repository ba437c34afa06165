package raftstore

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/zap"
)

// One TCP port per node carries two protocols. The first byte of every
// connection says which: raft's own transport (replication, votes, snapshot
// installs) or this package's RPC (forwarded writes, joins, barriers,
// status). One port is one thing to open in a firewall and one address to
// give to --raft-addr.
const (
	protoRaft byte = 'R'
	protoRPC  byte = 'C'
)

// routeTimeout bounds how long an accepted connection may take to send its
// first byte before it is dropped.
const routeTimeout = 10 * time.Second

var errMuxClosed = errors.New("raftstore: transport closed")

// mux owns the listener and routes each accepted connection by its first
// byte. It tracks every open connection (accepted or dialled) so that Close
// ends them all.
type mux struct {
	ln        net.Listener
	advertise addr
	log       *zap.Logger
	serveRPC  func(net.Conn)

	raftConns chan net.Conn
	done      chan struct{}
	wg        sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

// addr is an advertised address; it need not resolve here.
type addr string

func (a addr) Network() string { return "tcp" }
func (a addr) String() string  { return string(a) }

func listen(bind, advertise string, log *zap.Logger) (*mux, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	if advertise == "" {
		tcp, ok := ln.Addr().(*net.TCPAddr)
		if !ok || tcp.IP.IsUnspecified() {
			ln.Close()
			return nil, errors.New("raftstore: AdvertiseAddr is required when BindAddr is a wildcard address")
		}
		advertise = tcp.String()
	}
	return &mux{
		ln:        ln,
		advertise: addr(advertise),
		log:       log,
		raftConns: make(chan net.Conn),
		done:      make(chan struct{}),
		conns:     make(map[net.Conn]struct{}),
	}, nil
}

// serve starts routing; serveRPC handles an RPC connection until it ends.
func (m *mux) serve(serveRPC func(net.Conn)) {
	m.serveRPC = serveRPC
	m.wg.Add(1)
	go m.acceptLoop()
}

func (m *mux) acceptLoop() {
	defer m.wg.Done()
	backoff := 5 * time.Millisecond
	for {
		c, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.done:
				return
			default:
			}
			// A transient failure (too many open files): wait, try again.
			m.log.Warn("raft transport: accept failed", zap.Error(err))
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		tc, ok := m.track(c)
		if !ok {
			return
		}
		m.wg.Add(1)
		go m.route(tc)
	}
}

func (m *mux) route(c net.Conn) {
	defer m.wg.Done()
	var first [1]byte
	_ = c.SetReadDeadline(time.Now().Add(routeTimeout))
	if _, err := c.Read(first[:]); err != nil {
		c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	switch first[0] {
	case protoRaft:
		select {
		case m.raftConns <- c:
		case <-m.done:
			c.Close()
		}
	case protoRPC:
		m.serveRPC(c)
		c.Close()
	default:
		m.log.Warn("raft transport: connection with an unknown protocol byte dropped", zap.Stringer("remote", c.RemoteAddr()))
		c.Close()
	}
}

// track registers a connection and wraps it so that closing it forgets it;
// when the mux is closed it closes c and returns false.
func (m *mux) track(c net.Conn) (net.Conn, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		c.Close()
		return nil, false
	}
	m.conns[c] = struct{}{}
	return &trackedConn{Conn: c, m: m}, true
}

// dial opens a connection for protocol proto to address.
func (m *mux) dial(address string, proto byte, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", address, timeout)
	if err != nil {
		return nil, err
	}
	_ = c.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte{proto}); err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetWriteDeadline(time.Time{})
	tc, ok := m.track(c)
	if !ok {
		return nil, errMuxClosed
	}
	return tc, nil
}

// trackedConn forgets itself when closed.
type trackedConn struct {
	net.Conn
	m    *mux
	once sync.Once
}

func (c *trackedConn) Close() error {
	var err error
	c.once.Do(func() {
		c.m.mu.Lock()
		if c.m.conns != nil {
			delete(c.m.conns, c.Conn)
		}
		c.m.mu.Unlock()
		err = c.Conn.Close()
	})
	return err
}

// close stops the listener and ends every connection.
func (m *mux) close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	close(m.done)
	conns := m.conns
	m.conns = nil
	m.mu.Unlock()
	m.ln.Close()
	for c := range conns {
		c.Close()
	}
	m.wg.Wait()
}

// raftLayer is raft's view of the mux: raft.StreamLayer.
type raftLayer struct {
	m      *mux
	once   sync.Once
	closed chan struct{}
}

var _ raft.StreamLayer = (*raftLayer)(nil)

func newRaftLayer(m *mux) *raftLayer { return &raftLayer{m: m, closed: make(chan struct{})} }

func (l *raftLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.m.raftConns:
		return c, nil
	case <-l.closed:
		return nil, errMuxClosed
	case <-l.m.done:
		return nil, errMuxClosed
	}
}

// Close is called by raft's transport when it shuts down. It stops raft's
// accepting only: the listener is closed by the Store, after the RPC side
// is done too.
func (l *raftLayer) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *raftLayer) Addr() net.Addr { return l.m.advertise }

func (l *raftLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return l.m.dial(string(address), protoRaft, timeout)
}
