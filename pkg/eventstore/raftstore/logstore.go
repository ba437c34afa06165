package raftstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// logStore is raft's log and stable store: raft-boltdb/v2 (see DESIGN.md for
// why), with raft's in-memory cache of the latest entries in front so that
// replication to a follower that is nearly caught up reads no disk.
type logStore struct {
	bolt   *raftboltdb.BoltStore
	log    raft.LogStore
	cached raft.LogStore
	stable raft.StableStore
}

// logCacheSize is how many recent entries are kept in memory.
const logCacheSize = 1024

func openLogStore(dir string) (*logStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	b, err := raftboltdb.New(raftboltdb.Options{
		Path: filepath.Join(dir, "raft.db"),
		BoltOptions: &bbolt.Options{
			// Fail rather than hang when another process holds the file.
			Timeout: time.Second,
			// The free-page list is rebuilt at open instead of being written
			// on every commit: a log truncated at the head frees many pages,
			// and writing their list on each append is what slows bolt-backed
			// raft logs down over time (Consul's setting).
			NoFreelistSync: true,
			FreelistType:   bbolt.FreelistMapType,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("raftstore: open raft log: %w", err)
	}
	cached, err := raft.NewLogCache(logCacheSize, b)
	if err != nil {
		b.Close()
		return nil, err
	}
	return &logStore{bolt: b, log: b, cached: cached, stable: b}, nil
}

func (l *logStore) close() error { return l.bolt.Close() }

// needsRestore decides whether raft must restore its latest snapshot into
// the store at start, rather than trust the store on disk
// (NoSnapshotRestoreOnStart). Raft replays only the entries after its
// latest snapshot, so the store must hold everything the snapshot holds:
//   - a store left mid-restore holds part of a snapshot: restore;
//   - a store that has applied less than the snapshot's state machine had
//     (its data lost or replaced) misses entries raft will not replay:
//     restore.
func needsRestore(applied uint64, incomplete bool, snaps raft.SnapshotStore) (bool, error) {
	list, err := snaps.List()
	if err != nil {
		return false, err
	}
	if incomplete {
		if len(list) == 0 {
			return false, errors.New("raftstore: the event store was left in the middle of a restore and no raft snapshot is on disk to restore again: remove the node's data directory and join it to the cluster afresh")
		}
		return true, nil
	}
	if len(list) == 0 {
		return false, nil
	}
	covered, err := snapshotIndex(snaps, list[0].ID)
	if err != nil {
		return false, err
	}
	return applied < covered, nil
}

// snapshotIndex reads which raft index the state machine had applied when
// a snapshot was taken, from the snapshot's header. (The snapshot's own raft
// index can be higher: no-op and barrier entries never reach the state
// machine.)
func snapshotIndex(snaps raft.SnapshotStore, id string) (uint64, error) {
	_, rc, err := snaps.Open(id)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	hdr := make([]byte, len(snapshotHeader)+8)
	if _, err := io.ReadFull(rc, hdr); err != nil || string(hdr[:len(snapshotHeader)]) != snapshotHeader {
		return 0, fmt.Errorf("raftstore: snapshot %s is not a raftstore snapshot", id)
	}
	return binary.BigEndian.Uint64(hdr[len(snapshotHeader):]), nil
}
