// Package checkpoint keeps each event consumer's position in the global log.
// Local keeps them in the node's own state, not replicated: each node's
// projections have their own, and a raft snapshot of the event store must
// never move them. InStore keeps them in the event store, replicated with
// it: for the process managers a cluster runs on its leader alone, so that
// the next leader resumes where the last one stopped.
//
// Writes are not fsynced one by one. Delivery is at-least-once, so a
// checkpoint lost in a crash only means some events are handled again, which
// handlers tolerate; Flush (called on shutdown) makes them durable.
//
// It imports pkg/eventstore and its storage engine.
package checkpoint

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"carecoord/pkg/eventstore"
)

// Store loads and saves consumer positions.
type Store interface {
	// Load returns the consumer's position, or eventstore.Start when it has
	// none yet.
	Load(ctx context.Context, consumer string) (eventstore.Position, error)
	Save(ctx context.Context, consumer string, pos eventstore.Position) error
}

// Local is a Store in a Pebble database of its own.
type Local struct {
	db *pebble.DB
}

// Open opens (creating) the checkpoint database in dir.
func Open(dir string) (*Local, error) {
	db, err := pebble.Open(dir, &pebble.Options{Logger: quiet{}})
	if err != nil {
		return nil, fmt.Errorf("checkpoint: open %s: %w", dir, err)
	}
	return &Local{db: db}, nil
}

func key(consumer string) []byte { return append([]byte("c/"), consumer...) }

// Load implements Store.
func (l *Local) Load(_ context.Context, consumer string) (eventstore.Position, error) {
	v, closer, err := l.db.Get(key(consumer))
	if errors.Is(err, pebble.ErrNotFound) {
		return eventstore.Start, nil
	}
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("checkpoint: corrupt value for consumer %q", consumer)
	}
	return eventstore.Position(binary.BigEndian.Uint64(v)), nil
}

// Save implements Store.
func (l *Local) Save(_ context.Context, consumer string, pos eventstore.Position) error {
	return l.db.Set(key(consumer), binary.BigEndian.AppendUint64(nil, uint64(pos)), pebble.NoSync)
}

// Flush makes every saved checkpoint durable.
func (l *Local) Flush() error { return l.db.LogData(nil, pebble.Sync) }

// Close flushes and closes the database.
func (l *Local) Close() error {
	return errors.Join(l.Flush(), l.db.Close())
}

// Memory is a Store for tests and for read models that are rebuilt from the
// log at every start.
type Memory struct {
	mu  sync.Mutex
	pos map[string]eventstore.Position
}

// NewMemory returns an empty in-memory Store.
func NewMemory() *Memory { return &Memory{pos: map[string]eventstore.Position{}} }

// Load implements Store.
func (m *Memory) Load(_ context.Context, consumer string) (eventstore.Position, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pos[consumer], nil
}

// Save implements Store.
func (m *Memory) Save(_ context.Context, consumer string, pos eventstore.Position) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pos[consumer] = pos
	return nil
}

type quiet struct{}

func (quiet) Infof(string, ...interface{})  {}
func (quiet) Errorf(string, ...interface{}) {}
func (quiet) Fatalf(format string, args ...interface{}) {
	panic(fmt.Sprintf(format, args...))
}
