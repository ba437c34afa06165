//go:build linux

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"carecoord/pkg/eventstore/embedded"
)

func init() { backendOpeners["embedded"] = openEmbedded }

// embeddedTarget is the embedded store with its default (durable) options in
// a fresh directory of the run.
type embeddedTarget struct {
	*embedded.Store
	dir    string
	keep   bool
	before embedded.Stats
}

func openEmbedded(_ context.Context, cfg config, _ io.Writer) (target, error) {
	dir := filepath.Join(cfg.runDir, "embedded")
	s, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		return nil, err
	}
	return &embeddedTarget{Store: s, dir: dir, keep: cfg.keep}, nil
}

func (e *embeddedTarget) startMeasure(context.Context) error {
	e.before = e.Stats()
	return nil
}

func (e *embeddedTarget) endMeasure(_ context.Context, _ uint64) (uint64, uint64, bool, error) {
	after := e.Stats()
	return after.EventsWritten - e.before.EventsWritten, after.Fsyncs - e.before.Fsyncs, true, nil
}

// Close closes the store and, unless -keep, removes its data at once, so that
// its writeback does not run into the next backend's measurement.
func (e *embeddedTarget) Close() error {
	err := e.Store.Close()
	if !e.keep {
		if rmErr := os.RemoveAll(e.dir); err == nil {
			err = rmErr
		}
	}
	return err
}
