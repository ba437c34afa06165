package embedded

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/cockroachdb/pebble/v2"

	"carecoord/pkg/eventstore"
)

// The snapshot format is a stream of key/value frames over a consistent view
// of the whole store: a magic line, then (uvarint key length, key, uvarint
// value length, value) frames, then a zero key length and a CRC-32C of all the
// frame bytes. It is the raft backend's snapshot, so it must be complete and
// self-checking: a replica restored from it is byte-for-byte the leader.
const snapshotMagic = "carecoord-eventstore-snapshot-v1\n"

var metaRestoring = []byte{prefixMeta, 'r', 'e', 's', 't', 'o', 'r', 'i', 'n', 'g'}

// ErrIncompleteRestore means the process stopped during Restore: the data
// directory holds part of a snapshot and must be restored again.
var ErrIncompleteRestore = errors.New("embedded: a restore did not finish; restore the snapshot again")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Snapshot writes a consistent copy of the whole store to w. Appends may go on
// while it runs; they are not in the copy.
func (s *Store) Snapshot(w io.Writer) error {
	snap, err := s.OpenSnapshot()
	if err != nil {
		return err
	}
	defer snap.Close()
	_, err = snap.WriteTo(w)
	return err
}

// A PointInTime is a consistent view of the whole store, fixed when it was
// opened and written out later. The raft backend opens one in its state
// machine's Snapshot, where no batch is being applied, so that the view is
// exactly the state at a raft index, and writes it out in Persist while
// later batches are applied.
type PointInTime struct {
	s    *Store
	snap *pebble.Snapshot
}

// OpenSnapshot fixes a consistent view of the store. It is cheap (no I/O);
// Close it before closing the store.
func (s *Store) OpenSnapshot() (*PointInTime, error) {
	release, err := s.readGuard()
	if err != nil {
		return nil, err
	}
	defer release()
	return &PointInTime{s: s, snap: s.db.NewSnapshot()}, nil
}

// Close releases the view.
func (p *PointInTime) Close() error { return p.snap.Close() }

// WriteTo writes the view in the snapshot format (which Restore reads) and
// returns the number of bytes written.
func (p *PointInTime) WriteTo(w io.Writer) (int64, error) {
	release, err := p.s.readGuard()
	if err != nil {
		return 0, err
	}
	defer release()
	cw := &countingWriter{w: w}
	err = p.write(cw)
	return cw.n, err
}

func (p *PointInTime) write(w io.Writer) error {
	it, err := p.snap.NewIter(nil)
	if err != nil {
		return err
	}
	defer it.Close()
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.WriteString(snapshotMagic); err != nil {
		return err
	}
	crc := crc32.New(castagnoli)
	out := io.MultiWriter(bw, crc)
	var hdr []byte
	for valid := it.First(); valid; valid = it.Next() {
		hdr = binary.AppendUvarint(hdr[:0], uint64(len(it.Key())))
		if _, err := out.Write(hdr); err != nil {
			return err
		}
		if _, err := out.Write(it.Key()); err != nil {
			return err
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		hdr = binary.AppendUvarint(hdr[:0], uint64(len(v)))
		if _, err := out.Write(hdr); err != nil {
			return err
		}
		if _, err := out.Write(v); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if _, err := out.Write([]byte{0}); err != nil { // the end frame
		return err
	}
	if err := binary.Write(bw, binary.BigEndian, crc.Sum32()); err != nil {
		return err
	}
	return bw.Flush()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// Sync makes every batch applied so far durable. With NoSync the raft
// backend calls it before a raft snapshot lets the raft log be compacted:
// from then on the store, not the log, is the only copy of those batches.
func (s *Store) Sync() error {
	release, err := s.readGuard()
	if err != nil {
		return err
	}
	defer release()
	// An empty record written with Sync syncs the write-ahead log up to and
	// including it; the log is sequential, so every earlier batch is durable.
	return s.db.LogData(nil, pebble.Sync)
}

// Restore replaces the whole store with a snapshot. It must not run
// concurrently with writes (the raft library guarantees this for its FSM).
// Reads and subscriptions wait until it has finished, so that none sees a
// half-loaded store. A marker key makes an interrupted restore visible at the
// next Open.
func (s *Store) Restore(r io.Reader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	br := bufio.NewReaderSize(r, 1<<20)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return fmt.Errorf("embedded: not a snapshot")
	}
	// Clearing and marking in one durable batch: after a crash the store is
	// either untouched or visibly mid-restore.
	clearing := s.db.NewBatch()
	_ = clearing.DeleteRange([]byte{0}, []byte{0xff}, nil)
	_ = clearing.Set(metaRestoring, nil, nil)
	if err := clearing.Commit(pebble.Sync); err != nil {
		return err
	}
	crc := crc32.New(castagnoli)
	b := s.db.NewBatch()
	readFrame := func() ([]byte, error) {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			return nil, err
		}
		var lenBuf []byte
		lenBuf = binary.AppendUvarint(lenBuf, n)
		crc.Write(lenBuf)
		buf := make([]byte, n)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		crc.Write(buf)
		return buf, nil
	}
	for {
		key, err := readFrame()
		if err != nil {
			b.Close()
			return fmt.Errorf("embedded: snapshot truncated: %w", err)
		}
		if len(key) == 0 {
			break
		}
		val, err := readFrame()
		if err != nil {
			b.Close()
			return fmt.Errorf("embedded: snapshot truncated: %w", err)
		}
		_ = b.Set(key, val, nil)
		if b.Len() > 4<<20 {
			if err := b.Commit(pebble.NoSync); err != nil {
				return err
			}
			b = s.db.NewBatch()
		}
	}
	var sum uint32
	if err := binary.Read(br, binary.BigEndian, &sum); err != nil || sum != crc.Sum32() {
		b.Close()
		return fmt.Errorf("embedded: snapshot checksum mismatch")
	}
	_ = b.Delete(metaRestoring, nil)
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	clear(s.heads)
	s.last = 0
	if err := s.loadLast(); err != nil {
		return err
	}
	s.advance(s.last)
	return nil
}

// AppliedIndex is the raft index stored with the last batch applied by the
// raft backend (0 for a store that only the embedded writer has written).
func (s *Store) AppliedIndex() (uint64, error) {
	release, err := s.readGuard()
	if err != nil {
		return 0, err
	}
	defer release()
	v, closer, err := s.db.Get(metaAppliedIndex)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	p, err := decodePos(v)
	return uint64(p), err
}
