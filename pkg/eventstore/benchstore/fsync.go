//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"carecoord/pkg/benchkit"
)

type fsyncResult struct {
	syncs   int
	elapsed time.Duration
}

func (r fsyncResult) perSecond() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.syncs) / r.elapsed.Seconds()
}

func (r fsyncResult) meanMillis() float64 {
	if r.syncs == 0 {
		return 0
	}
	return benchkit.Millis(r.elapsed) / float64(r.syncs)
}

const (
	probeBlock = 4096
	// probeFileSize is written (not just allocated) before the probe, so that
	// its writes overwrite allocated blocks and fdatasync has no metadata to
	// flush: the disk's raw rate. The probe wraps around at the end.
	probeFileSize = 32 << 20
)

// measureFsync measures, for about d, the rate of a 4 KiB write followed by
// fdatasync in dir: sequential writes over a file that has already been
// written, as a log over preallocated segments does.
func measureFsync(ctx context.Context, dir string, d time.Duration) (fsyncResult, error) {
	f, err := os.CreateTemp(dir, "fsync-probe-")
	if err != nil {
		return fsyncResult{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()

	zeros := make([]byte, 1<<20)
	for off := 0; off < probeFileSize; off += len(zeros) {
		if _, err := f.Write(zeros); err != nil {
			return fsyncResult{}, err
		}
	}
	if err := f.Sync(); err != nil {
		return fsyncResult{}, err
	}
	if err := syncDir(dir); err != nil {
		return fsyncResult{}, err
	}

	block := make([]byte, probeBlock)
	for i := range block {
		block[i] = byte(i)
	}
	fd := int(f.Fd())
	var res fsyncResult
	start := time.Now()
	for off := int64(0); ; off = (off + probeBlock) % probeFileSize {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if res.syncs > 0 && time.Since(start) >= d {
			break
		}
		block[0] = byte(res.syncs)
		if _, err := unix.Pwrite(fd, block, off); err != nil {
			return res, fmt.Errorf("pwrite: %w", err)
		}
		if err := unix.Fdatasync(fd); err != nil {
			return res, fmt.Errorf("fdatasync: %w", err)
		}
		res.syncs++
	}
	res.elapsed = time.Since(start)
	return res, nil
}

// measureAppendFsync is measureFsync on a file that grows with every write, so
// that every fdatasync also commits the new file size (a journal commit on
// most filesystems): the rate of a log that appends to a file it did not
// preallocate. It is reported on stderr only.
func measureAppendFsync(ctx context.Context, dir string, d time.Duration) (fsyncResult, error) {
	f, err := os.CreateTemp(dir, "fsync-append-probe-")
	if err != nil {
		return fsyncResult{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := syncDir(dir); err != nil {
		return fsyncResult{}, err
	}
	block := make([]byte, probeBlock)
	fd := int(f.Fd())
	var res fsyncResult
	start := time.Now()
	for res.syncs == 0 || time.Since(start) < d {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if _, err := f.Write(block); err != nil {
			return res, err
		}
		if err := unix.Fdatasync(fd); err != nil {
			return res, fmt.Errorf("fdatasync: %w", err)
		}
		res.syncs++
	}
	res.elapsed = time.Since(start)
	return res, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// isMemoryFS reports whether dir is on a filesystem that lives in memory
// (tmpfs, ramfs), where fsync is free and the benchmark meaningless.
func isMemoryFS(dir string) (bool, string, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false, "", fmt.Errorf("statfs %s: %w", dir, err)
	}
	switch uint64(st.Type) {
	case unix.TMPFS_MAGIC:
		return true, "tmpfs", nil
	case unix.RAMFS_MAGIC:
		return true, "ramfs", nil
	}
	return false, "", nil
}
