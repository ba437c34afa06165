// Package invariants checks the beds service's invariants against the event
// log itself, replaying every bed and placement event in log order: what the
// benchmark and the concurrency tests use to show that no interleaving of
// commands broke them. It trusts nothing but the log.
//
// At every point of the log:
//   - a bed is held (reserved or occupied) by at most one stay;
//   - a bed is occupied only by the stay that reserved it;
//   - a patient occupies at most one bed, and every bed a patient holds
//     belongs to one stay (a transfer holds the old bed and reserves the new);
//   - an admission names a bed its stay occupies; a transfer's new bed is
//     occupied by the stay and its old bed no longer; a discharged or failed
//     stay holds no bed.
//
// At the end of the log (with no command in flight):
//   - every admitted, undischarged stay occupies exactly the bed it records;
//   - no bed is held by a stay that has ended.
//
// Violations name beds and stays, never patients.
//
// It imports pkg/eventstore and the service's domain package.
package invariants

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"carecoord/pkg/eventstore"

	"carecoord/services/beds/domain"
)

// Report is what a check found.
type Report struct {
	Events     int
	Beds       int
	Stays      int
	Admissions int
	Transfers  int
	Discharges int
	Violations []string
}

// OK reports whether no invariant was broken.
func (r Report) OK() bool { return len(r.Violations) == 0 }

func (r Report) String() string {
	if r.OK() {
		return fmt.Sprintf("%d events, %d beds, %d stays, %d admissions, %d transfers, %d discharges: no violations", r.Events, r.Beds, r.Stays, r.Admissions, r.Transfers, r.Discharges)
	}
	return fmt.Sprintf("%d violations:\n%s", len(r.Violations), strings.Join(r.Violations, "\n"))
}

type bedState struct {
	holder   string
	occupied bool
}

type stayState struct {
	patient  string
	bedID    string
	admitted bool
	ended    bool
}

type checker struct {
	beds  map[string]*bedState
	stays map[string]*stayState
	// held lists the beds each patient holds, by patient.
	held map[string]map[string]bool
	r    Report
}

// Check replays the whole log.
func Check(ctx context.Context, store eventstore.Store) (Report, error) {
	c := &checker{beds: map[string]*bedState{}, stays: map[string]*stayState{}, held: map[string]map[string]bool{}}
	from := eventstore.Position(1)
	for {
		evs, err := store.ReadAll(ctx, from, eventstore.Forwards, 4096)
		if err != nil {
			return c.r, err
		}
		for _, ev := range evs {
			if !strings.HasPrefix(ev.Type, "beds.") {
				continue
			}
			e, err := domain.Types.Decode(ev)
			if err != nil {
				return c.r, err
			}
			c.r.Events++
			c.apply(ev.Position, e)
		}
		if len(evs) < 4096 {
			break
		}
		from = evs[len(evs)-1].Position + 1
	}
	c.final()
	c.r.Beds, c.r.Stays = len(c.beds), len(c.stays)
	return c.r, nil
}

func (c *checker) fail(pos eventstore.Position, format string, args ...any) {
	where := fmt.Sprintf("at position %d: ", pos)
	if pos == eventstore.End {
		where = "at the end: "
	}
	c.r.Violations = append(c.r.Violations, where+fmt.Sprintf(format, args...))
}

func (c *checker) bed(id string) *bedState {
	b, ok := c.beds[id]
	if !ok {
		b = &bedState{}
		c.beds[id] = b
	}
	return b
}

func (c *checker) stay(id string) *stayState {
	s, ok := c.stays[id]
	if !ok {
		s = &stayState{}
		c.stays[id] = s
	}
	return s
}

func (c *checker) release(bedID string) {
	b := c.bed(bedID)
	if b.holder != "" {
		if p := c.stay(b.holder).patient; p != "" {
			delete(c.held[p], bedID)
		}
	}
	b.holder, b.occupied = "", false
}

func (c *checker) apply(pos eventstore.Position, e any) {
	switch e := e.(type) {
	case domain.BedReserved:
		b := c.bed(e.BedID)
		if b.holder != "" {
			c.fail(pos, "bed %s reserved for stay %s while held by stay %s", e.BedID, e.StayID, b.holder)
		}
		patient := e.NHSNumber.String()
		s := c.stay(e.StayID)
		s.patient = patient
		if s.ended {
			c.fail(pos, "bed %s reserved for stay %s, which has ended", e.BedID, e.StayID)
		}
		for other := range c.held[patient] {
			if h := c.bed(other).holder; h != e.StayID {
				c.fail(pos, "bed %s reserved for stay %s while its patient holds bed %s for stay %s", e.BedID, e.StayID, other, h)
			}
		}
		if len(c.held[patient]) > 1 {
			c.fail(pos, "stay %s reserves a third bed", e.StayID)
		}
		b.holder, b.occupied = e.StayID, false
		if c.held[patient] == nil {
			c.held[patient] = map[string]bool{}
		}
		c.held[patient][e.BedID] = true
	case domain.BedReservationReleased:
		if b := c.bed(e.BedID); b.holder != e.StayID || b.occupied {
			c.fail(pos, "bed %s released for stay %s, which had no reservation of it", e.BedID, e.StayID)
		}
		c.release(e.BedID)
	case domain.BedOccupied:
		b := c.bed(e.BedID)
		if b.holder != e.StayID {
			c.fail(pos, "bed %s occupied by stay %s without its reservation (held by %q)", e.BedID, e.StayID, b.holder)
		}
		patient := c.stay(e.StayID).patient
		for other := range c.held[patient] {
			if other != e.BedID && c.bed(other).occupied {
				c.fail(pos, "stay %s occupies bed %s while its patient occupies bed %s", e.StayID, e.BedID, other)
			}
		}
		b.occupied = true
	case domain.BedVacated:
		if b := c.bed(e.BedID); b.holder != e.StayID || !b.occupied {
			c.fail(pos, "bed %s vacated by stay %s, which did not occupy it", e.BedID, e.StayID)
		}
		c.release(e.BedID)
	case domain.BedCleaned, domain.BedClosed, domain.BedReopened:
		var id string
		switch e := e.(type) {
		case domain.BedCleaned:
			id = e.BedID
		case domain.BedClosed:
			id = e.BedID
		case domain.BedReopened:
			id = e.BedID
		}
		if b := c.bed(id); b.holder != "" {
			c.fail(pos, "bed %s changed state (%T) while held by stay %s", id, e, b.holder)
		}
	case domain.StayAllocated:
		s := c.stay(e.StayID)
		s.patient, s.bedID = e.Patient.NHSNumber.String(), e.BedID
	case domain.StayAllocationFailed:
		s := c.stay(e.StayID)
		s.ended = true
		if c.bed(e.BedID).holder == e.StayID {
			c.fail(pos, "stay %s failed while bed %s still holds it", e.StayID, e.BedID)
		}
	case domain.PatientAdmitted:
		c.r.Admissions++
		s := c.stay(e.StayID)
		s.admitted, s.bedID = true, e.BedID
		if b := c.bed(e.BedID); b.holder != e.StayID || !b.occupied {
			c.fail(pos, "stay %s admitted to bed %s, which it does not occupy", e.StayID, e.BedID)
		}
	case domain.PatientTransferred:
		c.r.Transfers++
		s := c.stay(e.StayID)
		s.bedID = e.To.BedID
		if b := c.bed(e.To.BedID); b.holder != e.StayID || !b.occupied {
			c.fail(pos, "stay %s transferred to bed %s, which it does not occupy", e.StayID, e.To.BedID)
		}
		if c.bed(e.From.BedID).holder == e.StayID {
			c.fail(pos, "stay %s transferred out of bed %s, which still holds it", e.StayID, e.From.BedID)
		}
	case domain.PatientDischarged:
		c.r.Discharges++
		s := c.stay(e.StayID)
		s.ended = true
		for id := range c.held[s.patient] {
			if c.bed(id).holder == e.StayID {
				c.fail(pos, "stay %s discharged while holding bed %s", e.StayID, id)
			}
		}
	}
}

func (c *checker) final() {
	ids := make([]string, 0, len(c.stays))
	for id := range c.stays {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s := c.stays[id]
		if s.admitted && !s.ended {
			if b := c.bed(s.bedID); b.holder != id || !b.occupied {
				c.fail(eventstore.End, "admitted stay %s does not occupy its bed %s at the end", id, s.bedID)
			}
		}
	}
	bedIDs := make([]string, 0, len(c.beds))
	for id := range c.beds {
		bedIDs = append(bedIDs, id)
	}
	sort.Strings(bedIDs)
	for _, id := range bedIDs {
		if h := c.beds[id].holder; h != "" && c.stay(h).ended {
			c.fail(eventstore.End, "bed %s is held at the end by stay %s, which has ended", id, h)
		}
	}
}
