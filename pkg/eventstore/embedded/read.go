package embedded

import (
	"context"
	"errors"

	"github.com/cockroachdb/pebble/v2"

	"carecoord/pkg/eventstore"
)

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir eventstore.Direction, max int) ([]eventstore.RecordedEvent, error) {
	release, err := s.readGuard()
	if err != nil {
		return nil, err
	}
	defer release()
	if _, closer, err := s.db.Get(tombstoneKey(stream)); err == nil {
		closer.Close()
		return nil, eventstore.ErrStreamDeleted
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return nil, err
	}
	lower := streamPrefix(stream)
	upper := append(lower[:len(lower)-1:len(lower)-1], 1)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	committed := eventstore.Position(s.committed.Load())
	var valid bool
	switch {
	case dir == eventstore.Forwards:
		valid = it.SeekGE(streamKey(stream, from))
	case from == eventstore.StreamEnd:
		valid = it.Last()
	default:
		valid = it.SeekLT(streamKey(stream, from+1))
	}
	var out []eventstore.RecordedEvent
	for ; valid && (max <= 0 || len(out) < max); valid = step(it, dir) {
		pos, err := decodePos(it.Value())
		if err != nil {
			return nil, err
		}
		if pos > committed {
			// Written but not yet acknowledged: not visible.
			continue
		}
		ev, err := s.readEvent(pos)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	// Nothing read: tell "no such stream" from "nothing past from".
	if len(out) == 0 && (!it.First() || mustPos(it.Value()) > committed) {
		return nil, eventstore.ErrStreamNotFound
	}
	return out, nil
}

func mustPos(b []byte) eventstore.Position {
	p, _ := decodePos(b)
	return p
}

func step(it *pebble.Iterator, dir eventstore.Direction) bool {
	if dir == eventstore.Backwards {
		return it.Prev()
	}
	return it.Next()
}

func (s *Store) readEvent(pos eventstore.Position) (eventstore.RecordedEvent, error) {
	v, closer, err := s.db.Get(eventKey(pos))
	if err != nil {
		return eventstore.RecordedEvent{}, err
	}
	defer closer.Close()
	return decodeRecord(pos, v)
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, dir eventstore.Direction, max int) ([]eventstore.RecordedEvent, error) {
	release, err := s.readGuard()
	if err != nil {
		return nil, err
	}
	defer release()
	committed := eventstore.Position(s.committed.Load())
	if dir == eventstore.Backwards {
		if from > committed {
			from = committed
		}
		return s.scan(ctx, 1, from, dir, max, nil)
	}
	if from < 1 {
		from = 1
	}
	if from > committed {
		return nil, nil
	}
	return s.scan(ctx, from, committed, dir, max, nil)
}

// scan reads events with positions in [lo, hi] in the given direction, keeping
// those that keep() accepts (nil keeps all), until max are kept (max <= 0: no
// limit). It returns the events kept.
func (s *Store) scan(ctx context.Context, lo, hi eventstore.Position, dir eventstore.Direction, max int, keep func(h *recordHeader) bool) ([]eventstore.RecordedEvent, error) {
	if lo > hi {
		return nil, nil
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: eventKey(lo), UpperBound: eventKey(hi + 1)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []eventstore.RecordedEvent
	valid := it.First()
	if dir == eventstore.Backwards {
		valid = it.Last()
	}
	for ; valid && (max <= 0 || len(out) < max); valid = step(it, dir) {
		if keep != nil {
			h, _, _, err := decodeHeader(it.Value())
			if err != nil {
				return nil, err
			}
			if !keep(&h) {
				continue
			}
		}
		ev, err := decodeRecord(posFromEventKey(it.Key()), it.Value())
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, it.Error()
}
