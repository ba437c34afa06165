package raftstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/zap"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/eventstore/raftstore/internal/wire"
)

// Store is one node of a replicated event store. It implements
// eventstore.Store: writes go through the raft leader (forwarded when this
// node follows), reads are served from this node's own copy.
type Store struct {
	cfg   Config
	log   *zap.Logger
	local *embedded.Store
	fsm   *fsm
	raft  *raft.Raft
	mux   *mux
	trans *raft.NetworkTransport
	peers *peers
	logs  *logStore

	proposals   chan *proposal
	batcherDone chan struct{}
	stampFloor  atomic.Int64

	lead     leadership
	notifyCh chan bool
	// leaderSeen follows the leader this node knows (leaderwatch.go).
	leaderSeen leaderWatch
	// raftDown is closed once raft has shut down (see await).
	raftDown chan struct{}

	closeMu sync.Mutex
	closing chan struct{}
	// life is cancelled when the store closes: requests from other nodes
	// run under it.
	life    context.Context
	endLife context.CancelFunc
	closed  bool
	wg      sync.WaitGroup
}

var _ eventstore.Store = (*Store)(nil)

// Layout of the data directory.
const (
	nodeIDFile    = "node-id"
	eventStoreDir = "eventstore"
	raftDir       = "raft"
)

// Open starts a node. A node with no state bootstraps a cluster
// (cfg.Bootstrap) or asks the nodes in cfg.Join to add it, and Open returns
// once it has been added (ctx bounds that). A node with state on disk
// rejoins its cluster by itself. Open does not wait for a leader: see
// WaitForLeader.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Store{
		cfg:         cfg,
		log:         cfg.Logger.With(zap.String("node", cfg.NodeID)),
		proposals:   make(chan *proposal, 4096),
		batcherDone: make(chan struct{}),
		closing:     make(chan struct{}),
		notifyCh:    make(chan bool, 64),
		leaderSeen:  leaderWatch{change: make(chan struct{})},
		raftDown:    make(chan struct{}),
	}
	s.lead.init()
	s.life, s.endLife = context.WithCancel(context.Background())
	ok := false
	defer func() {
		if !ok {
			s.abandon()
		}
	}()
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := claimDir(cfg.Dir, cfg.NodeID); err != nil {
		return nil, err
	}
	incomplete := false
	s.local, err = embedded.Open(filepath.Join(cfg.Dir, eventStoreDir), embedded.Options{NoSync: true})
	if errors.Is(err, embedded.ErrIncompleteRestore) {
		// Stopped in the middle of restoring a snapshot: restore it again.
		incomplete = true
		s.local, err = embedded.Open(filepath.Join(cfg.Dir, eventStoreDir), embedded.Options{NoSync: true, AllowIncompleteRestore: true})
	}
	if err != nil {
		return nil, err
	}
	if s.fsm, err = newFSM(s.local, s.log); err != nil {
		return nil, err
	}
	hlog := newHclog(s.log.Named("raft"), cfg.RaftLogLevel)
	if s.logs, err = openLogStore(filepath.Join(cfg.Dir, raftDir)); err != nil {
		return nil, err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, cfg.SnapshotRetain, hlog)
	if err != nil {
		return nil, err
	}
	existing, err := raft.HasExistingState(s.logs.log, s.logs.stable, snaps)
	if err != nil {
		return nil, err
	}
	if !existing && s.fsm.skipThrough > 0 {
		// The store was written by a raft cluster whose state is gone: its
		// indexes mean nothing in a new cluster's log.
		return nil, fmt.Errorf("raftstore: %s holds an event store but no raft state: remove the whole directory to join afresh", cfg.Dir)
	}
	restore, err := needsRestore(s.fsm.skipThrough, incomplete, snaps)
	if err != nil {
		return nil, err
	}
	if s.mux, err = listen(cfg.BindAddr, cfg.AdvertiseAddr, s.log); err != nil {
		return nil, err
	}
	s.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  newRaftLayer(s.mux),
		MaxPool: 3,
		Timeout: 10 * time.Second,
		Logger:  hlog,
	})
	s.peers = newPeers(s.mux, cfg.LeaderWait+5*time.Second)

	rc := cfg.raftConfig(hlog, s.notifyCh)
	// The store on disk is the state machine's state: raft replays only the
	// entries after it (the fsm skips what the store already holds), unless
	// the store lacks what the latest snapshot holds.
	rc.NoSnapshotRestoreOnStart = !restore
	if restore {
		s.log.Info("restoring the event store from the latest raft snapshot")
	}
	if s.raft, err = raft.NewRaft(rc, s.fsm, s.logs.cached, s.logs.stable, snaps, s.trans); err != nil {
		return nil, fmt.Errorf("raftstore: start raft: %w", err)
	}
	go s.batchLoop()
	s.wg.Add(2)
	go s.leadershipLoop()
	go s.leaderWatchLoop()
	srv := rpc.NewServer()
	if err := srv.RegisterName(wire.Service, &rpcService{s: s}); err != nil {
		return nil, err
	}
	s.mux.serve(func(c net.Conn) { srv.ServeConn(c) })

	switch {
	case existing:
		s.log.Info("raft node restarted from its data directory", zap.String("addr", string(s.mux.advertise)))
	case cfg.Bootstrap:
		f := s.raft.BootstrapCluster(raft.Configuration{Servers: []raft.Server{{
			ID: rc.LocalID, Address: raft.ServerAddress(s.mux.advertise), Suffrage: raft.Voter,
		}}})
		if err := f.Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			return nil, fmt.Errorf("raftstore: bootstrap: %w", err)
		}
		s.log.Info("raft cluster bootstrapped", zap.String("addr", string(s.mux.advertise)))
	case len(cfg.Join) > 0:
		if err := s.joinCluster(ctx); err != nil {
			return nil, err
		}
	default:
		s.log.Warn("raft node has no state and neither Bootstrap nor Join: it waits to be added by a cluster member")
	}
	ok = true
	return s, nil
}

// claimDir records the node ID in the data directory, and refuses a
// directory that belongs to another node: raft state under the wrong ID
// would make a second member out of one.
func claimDir(dir, id string) error {
	path := filepath.Join(dir, nodeIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if string(b) != id {
			return fmt.Errorf("raftstore: %s belongs to node %q, not %q", dir, string(b), id)
		}
		return nil
	case errors.Is(err, os.ErrNotExist):
		return os.WriteFile(path, []byte(id), 0o644)
	}
	return err
}

// Backend implements eventstore.Store.
func (s *Store) Backend() string { return "raft" }

// Dir is the node's data directory.
func (s *Store) Dir() string { return s.cfg.Dir }

// Addr is the address other nodes reach this one at.
func (s *Store) Addr() string { return string(s.mux.advertise) }

// NodeID is the node's raft server ID.
func (s *Store) NodeID() string { return s.cfg.NodeID }

// ReadStream implements eventstore.Store from this node's copy.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir eventstore.Direction, max int) ([]eventstore.RecordedEvent, error) {
	return s.local.ReadStream(ctx, stream, from, dir, max)
}

// ReadAll implements eventstore.Store from this node's copy.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, dir eventstore.Direction, max int) ([]eventstore.RecordedEvent, error) {
	return s.local.ReadAll(ctx, from, dir, max)
}

// Subscribe implements eventstore.Store from this node's copy: it delivers
// what this node has applied.
func (s *Store) Subscribe(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	return s.local.Subscribe(ctx, opts)
}

func (s *Store) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// Close implements eventstore.Store. It stops this node without handing
// leadership over (call TransferLeadership first for a planned restart, to
// spare the cluster an election timeout). Writes in flight complete or fail
// with ErrClosed; subscriptions end with ErrClosed.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.closing)
	s.endLife()
	var errs []error
	// Raft first: entries in flight resolve (committed or ErrRaftShutdown),
	// and the state machine stops before the store under it closes.
	if err := s.raft.Shutdown().Error(); err != nil {
		errs = append(errs, err)
	}
	close(s.raftDown)
	<-s.batcherDone
	s.wg.Wait()
	errs = append(errs, s.trans.Close())
	s.peers.close()
	s.mux.close()
	// Everything applied is made durable, so that a restart replays as
	// little as possible.
	if err := s.local.Sync(); err != nil && !errors.Is(err, eventstore.ErrClosed) {
		errs = append(errs, err)
	}
	errs = append(errs, s.local.Close(), s.logs.close())
	return errors.Join(errs...)
}

// abandon releases what a failed Open had opened.
func (s *Store) abandon() {
	close(s.closing)
	s.endLife()
	if s.raft != nil {
		_ = s.raft.Shutdown().Error()
		close(s.raftDown)
		<-s.batcherDone
		s.wg.Wait()
	}
	if s.trans != nil {
		_ = s.trans.Close()
	}
	if s.peers != nil {
		s.peers.close()
	}
	if s.mux != nil {
		s.mux.close()
	}
	if s.local != nil {
		_ = s.local.Close()
	}
	if s.logs != nil {
		_ = s.logs.close()
	}
}
