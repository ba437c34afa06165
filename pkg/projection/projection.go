// Package projection helps read models built by event handlers: Progress
// tracks how far a read model has applied the log, so that a command's caller
// can wait until its own write is visible (read-your-writes) and readiness
// can tell a model that is still catching up.
//
// It imports pkg/eventstore.
package projection

import (
	"context"
	"sync"

	"carecoord/pkg/eventstore"
)

// Progress is the position up to which a read model has applied events.
type Progress struct {
	mu   sync.Mutex
	pos  eventstore.Position
	wait chan struct{}
}

// Advance records that everything up to pos is applied. Lower positions
// (redeliveries) are ignored.
func (p *Progress) Advance(pos eventstore.Position) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pos <= p.pos {
		return
	}
	p.pos = pos
	if p.wait != nil {
		close(p.wait)
		p.wait = nil
	}
}

// Position is how far the read model is.
func (p *Progress) Position() eventstore.Position {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pos
}

// WaitFor blocks until the read model has applied pos or ctx ends.
func (p *Progress) WaitFor(ctx context.Context, pos eventstore.Position) error {
	for {
		p.mu.Lock()
		if p.pos >= pos {
			p.mu.Unlock()
			return nil
		}
		if p.wait == nil {
			p.wait = make(chan struct{})
		}
		w := p.wait
		p.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
