package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
)

// InStore keeps checkpoints in the event store itself, one system stream a
// consumer ("$checkpoint-<consumer>"), each save an event holding the
// position. It is for consumers that one node of a cluster runs at a time
// (process managers, on the leader): the checkpoint travels with the
// replicated log, so the next leader resumes where the last one saved.
// Projections keep Local checkpoints: each node runs its own.
//
// A save is an append, so savers should save seldom (every second or so);
// handled events after the last save are handled again by the next node.
type InStore struct {
	store eventstore.Store
}

// StreamPrefix starts every InStore checkpoint stream.
const StreamPrefix = eventstore.SystemStreamPrefix + "checkpoint-"

const checkpointType = "$checkpoint"

// NewInStore returns checkpoints kept in store.
func NewInStore(store eventstore.Store) *InStore { return &InStore{store: store} }

type savedPosition struct {
	Position uint64 `json:"position"`
}

// Load implements Store: the last position saved.
func (s *InStore) Load(ctx context.Context, consumer string) (eventstore.Position, error) {
	evs, err := s.store.ReadStream(ctx, StreamPrefix+consumer, eventstore.StreamEnd, eventstore.Backwards, 1)
	if errors.Is(err, eventstore.ErrStreamNotFound) || (err == nil && len(evs) == 0) {
		return eventstore.Start, nil
	}
	if err != nil {
		return 0, err
	}
	var p savedPosition
	if err := json.Unmarshal(evs[0].Data, &p); err != nil {
		return 0, fmt.Errorf("checkpoint: corrupt checkpoint event for consumer %q", consumer)
	}
	return eventstore.Position(p.Position), nil
}

// Save implements Store.
func (s *InStore) Save(ctx context.Context, consumer string, pos eventstore.Position) error {
	data, _ := json.Marshal(savedPosition{Position: uint64(pos)})
	_, err := s.store.Append(ctx, StreamPrefix+consumer, eventstore.Any, eventstore.EventData{
		ID: uuid.New(), Type: checkpointType, Data: data,
	})
	return err
}
