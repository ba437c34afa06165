//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"carecoord/pkg/eventstore"
)

func init() { backendOpeners["postgres"] = openPostgres }

const (
	pgWriterApp = "benchstore"
	pgAdminApp  = "benchstore-admin"
)

// pgTarget is PostgreSQL as an event-store table: one row per event, a
// bigserial global position, unique (stream, revision) and unique event IDs.
// Every append is one autocommit INSERT with synchronous_commit=on, the same
// durability as the embedded store: acknowledged means fsynced.
//
// It implements only what the benchmark uses: single-event appends expecting
// NoStream or Exact.
type pgTarget struct {
	stderr     io.Writer
	connCfg    *pgx.ConnConfig // of the writers' pool
	admin      *pgx.Conn       // creates and drops the table, reads pg_stat_wal
	pool       *pgxpool.Pool
	table      string
	revConstr  string
	insertHead string // revision 0 of a new stream
	insertNext string // revision r+1, only if revision r exists
	headSQL    string

	haveWalSync   bool
	walSyncBefore int64
	dropped       bool
}

func openPostgres(ctx context.Context, cfg config, stderr io.Writer) (target, error) {
	poolCfg, err := pgxpool.ParseConfig(cfg.pgDSN)
	if err != nil {
		return nil, fmt.Errorf("parse -pg-dsn: %w", err)
	}
	conns := int32(max(cfg.writers, 64))
	poolCfg.MaxConns = conns
	poolCfg.MinConns = conns
	poolCfg.MaxConnLifetime = time.Hour
	poolCfg.MaxConnIdleTime = time.Hour
	poolCfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	poolCfg.ConnConfig.RuntimeParams["application_name"] = pgWriterApp

	p := &pgTarget{stderr: stderr, connCfg: poolCfg.ConnConfig}
	adminCfg := poolCfg.ConnConfig.Copy()
	adminCfg.RuntimeParams["application_name"] = pgAdminApp
	if p.admin, err = pgx.ConnectConfig(ctx, adminCfg); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			p.Close()
		}
	}()

	var version, fsync, syncCommit, syncMethod string
	if err := p.admin.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('fsync'),
		current_setting('synchronous_commit'), current_setting('wal_sync_method')`).Scan(&version, &fsync, &syncCommit, &syncMethod); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "benchstore: postgres %s: fsync=%s synchronous_commit=%s (writers' sessions: on) wal_sync_method=%s\n",
		version, fsync, syncCommit, syncMethod)
	if fsync != "on" {
		return nil, fmt.Errorf("server runs with fsync=%s: appends would not be durable", fsync)
	}

	var suffix [4]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return nil, err
	}
	p.table = "benchstore_events_" + hex.EncodeToString(suffix[:])
	p.revConstr = p.table + "_stream_revision"
	tbl := pgx.Identifier{p.table}.Sanitize()
	if _, err := p.admin.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s (
		position    bigserial PRIMARY KEY,
		stream      text NOT NULL,
		revision    bigint NOT NULL,
		event_id    uuid NOT NULL,
		type        text NOT NULL,
		data        jsonb NOT NULL,
		metadata    jsonb NOT NULL,
		recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
		CONSTRAINT %s UNIQUE (stream, revision),
		CONSTRAINT %s UNIQUE (event_id)
	)`, tbl, pgx.Identifier{p.revConstr}.Sanitize(), pgx.Identifier{p.table + "_event_id"}.Sanitize())); err != nil {
		return nil, fmt.Errorf("create table: %w", err)
	}
	p.insertHead = fmt.Sprintf(`INSERT INTO %s (stream, revision, event_id, type, data, metadata)
		VALUES ($1, 0, $2, $3, $4, $5) RETURNING position`, tbl)
	// The unique (stream, revision) constraint makes racing appends conflict;
	// the EXISTS keeps an expectation beyond the head from leaving a gap.
	p.insertNext = fmt.Sprintf(`INSERT INTO %[1]s (stream, revision, event_id, type, data, metadata)
		SELECT $1::text, $2::bigint, $3::uuid, $4::text, $5::jsonb, $6::jsonb
		WHERE EXISTS (SELECT 1 FROM %[1]s WHERE stream = $1::text AND revision = $2::bigint - 1)
		RETURNING position`, tbl)
	p.headSQL = fmt.Sprintf(`SELECT max(revision) FROM %s WHERE stream = $1`, tbl)

	if p.pool, err = pgxpool.NewWithConfig(ctx, poolCfg); err != nil {
		return nil, err
	}
	// Open every connection before the timed run.
	held := make([]*pgxpool.Conn, 0, conns)
	for range conns {
		c, err := p.pool.Acquire(ctx)
		if err != nil {
			for _, c := range held {
				c.Release()
			}
			return nil, fmt.Errorf("open %d connections: %w", conns, err)
		}
		held = append(held, c)
	}
	for _, c := range held {
		c.Release()
	}
	fmt.Fprintf(stderr, "benchstore: postgres: table %s, pool of %d connections\n", p.table, conns)
	ok = true
	return p, nil
}

func (p *pgTarget) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	if len(events) != 1 {
		return eventstore.AppendResult{}, errors.New("benchstore postgres: one event per append")
	}
	ev := events[0]
	meta, err := json.Marshal(ev.Metadata)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	var rev uint64
	var row pgx.Row
	switch r, exact := expected.Revision(); {
	case expected.IsNoStream():
		row = p.pool.QueryRow(ctx, p.insertHead, stream, [16]byte(ev.ID), ev.Type, ev.Data, meta)
	case exact:
		rev = r + 1
		row = p.pool.QueryRow(ctx, p.insertNext, stream, int64(rev), [16]byte(ev.ID), ev.Type, ev.Data, meta)
	default:
		return eventstore.AppendResult{}, fmt.Errorf("benchstore postgres: expectation %s not supported", expected)
	}
	var pos int64
	err = row.Scan(&pos)
	if err == nil {
		return eventstore.AppendResult{NextRevision: rev, Position: eventstore.Position(pos)}, nil
	}
	var pgErr *pgconn.PgError
	if errors.Is(err, pgx.ErrNoRows) || (errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == p.revConstr) {
		return eventstore.AppendResult{}, p.conflict(ctx, stream, expected)
	}
	return eventstore.AppendResult{}, err
}

func (p *pgTarget) conflict(ctx context.Context, stream string, expected eventstore.ExpectedRevision) error {
	e := &eventstore.WrongExpectedVersionError{Stream: stream, Expected: expected}
	var head *int64
	if err := p.pool.QueryRow(ctx, p.headSQL, stream).Scan(&head); err != nil {
		return fmt.Errorf("%w (reading the head: %v)", e, err)
	}
	if head != nil {
		e.ActualExists, e.Actual = true, uint64(*head)
	}
	return e
}

func (p *pgTarget) walSync(ctx context.Context) (int64, error) {
	var n int64
	err := p.admin.QueryRow(ctx, `SELECT wal_sync FROM pg_stat_wal`).Scan(&n)
	return n, err
}

func (p *pgTarget) startMeasure(ctx context.Context) error {
	n, err := p.walSync(ctx)
	if err != nil {
		// pg_stat_wal.wal_sync is PostgreSQL 14 and later.
		fmt.Fprintf(p.stderr, "benchstore: postgres: no fsync count: %v\n", err)
		return nil
	}
	p.haveWalSync, p.walSyncBefore = true, n
	return nil
}

// endMeasure closes the writers' pool first: a backend reports its WAL
// counters to pg_stat_wal when it goes idle for a while or exits, so the count
// is complete only once the writers' backends are gone.
func (p *pgTarget) endMeasure(ctx context.Context, appended uint64) (uint64, uint64, bool, error) {
	p.pool.Close()
	if !p.haveWalSync {
		return appended, 0, false, nil
	}
	for {
		var n int
		if err := p.admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, pgWriterApp).Scan(&n); err != nil {
			return 0, 0, false, err
		}
		if n == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return 0, 0, false, fmt.Errorf("writers' backends still there: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	// The WAL writer reports its own syncs every wal_writer_delay (200ms).
	select {
	case <-ctx.Done():
		return 0, 0, false, ctx.Err()
	case <-time.After(500 * time.Millisecond):
	}
	n, err := p.walSync(ctx)
	if err != nil {
		return 0, 0, false, err
	}
	return appended, uint64(n - p.walSyncBefore), true, nil
}

func (p *pgTarget) Close() error {
	if p.pool != nil {
		p.pool.Close()
	}
	if p.admin == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if p.table != "" && !p.dropped {
		_, err = p.admin.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{p.table}.Sanitize())
		p.dropped = true
	}
	if cerr := p.admin.Close(ctx); err == nil {
		err = cerr
	}
	return err
}
