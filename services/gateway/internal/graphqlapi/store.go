package graphqlapi

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"carecoord/pkg/errs"
	"carecoord/pkg/eventstore"
)

// NodeInfo is what ServerInfo.node shows of a raft node.
type NodeInfo struct {
	ID, State, LeaderID string
	AppliedIndex        uint64
}

// logPosition is the position of the last event in the store, "0" when it
// is empty.
func logPosition(ctx context.Context, store eventstore.Store) (string, error) {
	if store == nil {
		return "0", nil
	}
	last, err := store.ReadAll(ctx, eventstore.End, eventstore.Backwards, 1)
	if err != nil || len(last) == 0 {
		return "0", err
	}
	return strconv.FormatUint(uint64(last[0].Position), 10), nil
}

// digestPage is how many events storeDigest reads at a time.
const digestPage = 1000

// storeDigest hashes the log from its start up to and including position
// upTo: every field of every event, so that two replicas with equal
// digests hold the same log. The events' data is hashed, never returned.
func storeDigest(ctx context.Context, store eventstore.Store, upTo string) (map[string]any, error) {
	limit, err := strconv.ParseUint(upTo, 10, 64)
	if err != nil {
		return nil, errs.Invalid("upTo", "must be a log position: a whole number", "position")
	}
	h := sha256.New()
	n := 0
	from := eventstore.Start
	var num [8]byte
	field := func(b []byte) {
		h.Write(binary.BigEndian.AppendUint64(num[:0], uint64(len(b))))
		h.Write(b)
	}
	for {
		evs, err := store.ReadAll(ctx, from, eventstore.Forwards, digestPage)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if uint64(e.Position) > limit {
				return digestResult(upTo, n, h.Sum(nil)), nil
			}
			md, err := json.Marshal(e.Metadata)
			if err != nil {
				return nil, fmt.Errorf("event metadata: %w", err)
			}
			field(e.ID[:])
			field([]byte(e.Stream))
			field([]byte(strconv.FormatUint(e.Revision, 10)))
			field([]byte(strconv.FormatUint(uint64(e.Position), 10)))
			field([]byte(e.Type))
			field(e.Data)
			field(md)
			field([]byte(e.RecordedAt.UTC().Format("2006-01-02T15:04:05.000000000Z")))
			n++
			from = e.Position + 1
		}
		if len(evs) < digestPage {
			return digestResult(upTo, n, h.Sum(nil)), nil
		}
	}
}

func digestResult(upTo string, n int, sum []byte) map[string]any {
	return map[string]any{"upTo": upTo, "events": n, "sha256": hex.EncodeToString(sum)}
}
