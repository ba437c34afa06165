package app

import (
	"context"
	"sort"

	"carecoord/pkg/audit"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/pkg/locality"
	"carecoord/pkg/nhsnumber"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// Who sees what. The bed board's states and counts hold no patient data:
// every signed-in role sees them (a clinician deciding on a step-up wants to
// know there is a bed). Patients are seen only as far as the role allows:
//   - bed managers (and admin): every bed request and stay;
//   - ICT clinicians: requests and stays of their localities' patients;
//   - falls dispatchers: the requests the falls response raised.
//
// Lists (bedRequests, the bed board's stays, noCriteriaToReside,
// patientsInBeds) go by the viewer's reach (auth.Viewer.Reaches); one
// patient's records (bedStay(id), bedRequest(id), a stay's request, the
// Patient's fields) by what the viewer may open (auth.Viewer.Opens: with
// break-glass, an ICT clinician opens a patient of another locality).

// touchStays and touchRequests record that the patients of these stays and
// requests are shown (see pkg/audit).
func touchStays(ctx context.Context, ss ...readmodel.Stay) {
	for _, s := range ss {
		audit.Touch(ctx, s.Patient.NHSNumber.String())
	}
}

func touchRequests(ctx context.Context, rs ...readmodel.Request) {
	for _, r := range rs {
		audit.Touch(ctx, r.Patient.NHSNumber.String())
	}
}

// canSeeStay and canSeeRequest decide lists (and what a command shows);
// canOpenStay and canOpenRequest one patient's records.
func canSeeStay(v auth.Viewer, s readmodel.Stay) bool        { return seesStay(v, s, v.Reaches) }
func canOpenStay(v auth.Viewer, s readmodel.Stay) bool       { return seesStay(v, s, v.Opens) }
func canSeeRequest(v auth.Viewer, r readmodel.Request) bool  { return seesRequest(v, r, v.Reaches) }
func canOpenRequest(v auth.Viewer, r readmodel.Request) bool { return seesRequest(v, r, v.Opens) }

func seesStay(v auth.Viewer, s readmodel.Stay, reaches func(locality string) bool) bool {
	if v.HasRole(auth.BedManager) {
		return true
	}
	return v.Role == auth.ICTClinician && reaches(s.Locality)
}

func seesRequest(v auth.Viewer, r readmodel.Request, reaches func(locality string) bool) bool {
	switch {
	case v.HasRole(auth.BedManager):
		return true
	case v.Role == auth.ICTClinician:
		return reaches(r.Locality)
	case v.Role == auth.FallsDispatcher:
		return r.Source == domain.SourceFalls
	}
	return false
}

// CommunityHospitals is the bed board of every hospital.
func (q *Queries) CommunityHospitals(ctx context.Context) ([]readmodel.Hospital, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	return q.views.Hospitals(), nil
}

// CommunityHospital is one hospital's board.
func (q *Queries) CommunityHospital(ctx context.Context, id string) (readmodel.Hospital, error) {
	if _, err := auth.Require(ctx); err != nil {
		return readmodel.Hospital{}, err
	}
	h, ok := q.views.Hospital(id)
	if !ok {
		return readmodel.Hospital{}, errs.NotFound("there is no such community hospital", "hospital-not-found")
	}
	return h, nil
}

// BedBoard is every ward with its beds, of one hospital or ("") all.
func (q *Queries) BedBoard(ctx context.Context, hospitalID string) ([]readmodel.Ward, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	var hs []readmodel.Hospital
	if hospitalID == "" {
		hs = q.views.Hospitals()
	} else {
		h, ok := q.views.Hospital(hospitalID)
		if !ok {
			return nil, errs.NotFound("there is no such community hospital", "hospital-not-found")
		}
		hs = []readmodel.Hospital{h}
	}
	var out []readmodel.Ward
	for _, h := range hs {
		out = append(out, h.Wards...)
	}
	return out, nil
}

// Bed is one bed's state, as the bed board shows it (a bed holds no
// patient data; who is in it is Bed.stay's to decide).
func (q *Queries) Bed(ctx context.Context, id string) (readmodel.Bed, error) {
	if _, err := auth.Require(ctx); err != nil {
		return readmodel.Bed{}, err
	}
	b, ok := q.views.Bed(id)
	if !ok {
		return readmodel.Bed{}, errs.NotFound("there is no such bed", "bed-not-found")
	}
	return b, nil
}

// Occupancy is the estate's bed counts, overall and per hospital.
func (q *Queries) Occupancy(ctx context.Context) (readmodel.Occupancy, error) {
	if _, err := auth.Require(ctx); err != nil {
		return readmodel.Occupancy{}, err
	}
	return q.views.Occupancy(), nil
}

// BedsAwaitingClean lists beds waiting for housekeeping, longest first.
func (q *Queries) BedsAwaitingClean(ctx context.Context, hospitalID string) ([]readmodel.Bed, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	return q.views.AwaitingClean(hospitalID), nil
}

// CleaningTurnaround summarises recent cleaning turnaround.
func (q *Queries) CleaningTurnaround(ctx context.Context, hospitalID string) (readmodel.Turnaround, error) {
	if _, err := auth.Require(ctx); err != nil {
		return readmodel.Turnaround{}, err
	}
	return q.views.Turnaround(hospitalID), nil
}

// BedRequests lists the requests the viewer may see in the statuses (all
// when none), most urgent and oldest first.
func (q *Queries) BedRequests(ctx context.Context, statuses []domain.RequestStatus) ([]readmodel.Request, error) {
	v, err := auth.RequireRole(ctx, auth.BedManager, auth.ICTClinician, auth.FallsDispatcher)
	if err != nil {
		return nil, err
	}
	out := q.views.Requests(statuses, func(r readmodel.Request) bool { return canSeeRequest(v, r) })
	touchRequests(ctx, out...)
	return out, nil
}

// BedRequest returns one request the viewer may see.
func (q *Queries) BedRequest(ctx context.Context, id string) (readmodel.Request, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return readmodel.Request{}, err
	}
	r, ok := q.views.Request(id)
	if !ok || !canOpenRequest(v, r) {
		return readmodel.Request{}, errs.NotFound("there is no such bed request", "request-not-found")
	}
	touchRequests(ctx, r)
	return r, nil
}

// BedStay returns one stay the viewer may see.
func (q *Queries) BedStay(ctx context.Context, id string) (readmodel.Stay, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return readmodel.Stay{}, err
	}
	s, ok := q.views.Stay(id)
	if !ok || !canOpenStay(v, s) {
		return readmodel.Stay{}, errs.NotFound("there is no such bed stay", "stay-not-found")
	}
	touchStays(ctx, s)
	return s, nil
}

// VisibleStay is the stay holding a bed, when the viewer may see it: the
// bed board shows everyone a bed's state, and only some viewers whose it is.
func (q *Queries) VisibleStay(ctx context.Context, id string) (*readmodel.Stay, error) {
	v, err := auth.Require(ctx)
	if err != nil || id == "" {
		return nil, err
	}
	s, ok := q.views.Stay(id)
	if !ok || !canSeeStay(v, s) {
		return nil, nil
	}
	touchStays(ctx, s)
	return &s, nil
}

// VisibleRequest is a stay's request, when the viewer may see it: part of
// the record of a stay they were shown, so it goes by what they may open.
func (q *Queries) VisibleRequest(ctx context.Context, id string) (*readmodel.Request, error) {
	v, err := auth.Require(ctx)
	if err != nil || id == "" {
		return nil, err
	}
	r, ok := q.views.Request(id)
	if !ok || !canOpenRequest(v, r) {
		return nil, nil
	}
	touchRequests(ctx, r)
	return &r, nil
}

// NoCriteriaToReside lists the admitted patients with no criteria to reside
// (delayed discharges) the viewer may see, of one hospital or ("") all,
// longest delayed first.
func (q *Queries) NoCriteriaToReside(ctx context.Context, hospitalID string) ([]readmodel.Stay, error) {
	v, err := auth.RequireRole(ctx, auth.BedManager, auth.ICTClinician)
	if err != nil {
		return nil, err
	}
	out := q.views.Stays(func(s readmodel.Stay) bool {
		return s.Status == readmodel.StayAdmitted && s.NCTR != nil && (hospitalID == "" || s.Bed.HospitalID == hospitalID) && canSeeStay(v, s)
	})
	sortStays(out, func(a, b readmodel.Stay) bool { return a.NCTR.Since.Before(b.NCTR.Since) })
	touchStays(ctx, out...)
	return out, nil
}

// PatientsInBeds lists a locality's patients in (or expected in) a
// community bed.
func (q *Queries) PatientsInBeds(ctx context.Context, localityID string) ([]readmodel.Stay, error) {
	v, err := auth.RequireRole(ctx, auth.BedManager, auth.ICTClinician)
	if err != nil {
		return nil, err
	}
	if err := v.RequireLocality(localityID); err != nil {
		return nil, err
	}
	out := q.views.Stays(func(s readmodel.Stay) bool { return s.Locality == localityID && s.Current() })
	touchStays(ctx, out...)
	return out, nil
}

// LocalitySummary counts a locality's patients in beds. The counts identify
// no one, so every signed-in role sees them.
func (q *Queries) LocalitySummary(ctx context.Context, localityID string) (readmodel.LocalitySummary, error) {
	if _, err := auth.Require(ctx); err != nil {
		return readmodel.LocalitySummary{}, err
	}
	return q.views.Summary(localityID), nil
}

// BedStaysOf lists a patient's stays the viewer may see.
func (q *Queries) BedStaysOf(ctx context.Context, nhsNumber string) ([]readmodel.Stay, error) {
	v, n, err := q.patient(ctx, nhsNumber)
	if err != nil {
		return nil, err
	}
	var out []readmodel.Stay
	for _, s := range q.views.StaysOf(n) {
		if canOpenStay(v, s) {
			out = append(out, s)
		}
	}
	touchStays(ctx, out...)
	return out, nil
}

// BedRequestsOf lists a patient's bed requests the viewer may see.
func (q *Queries) BedRequestsOf(ctx context.Context, nhsNumber string) ([]readmodel.Request, error) {
	v, n, err := q.patient(ctx, nhsNumber)
	if err != nil {
		return nil, err
	}
	out := q.views.Requests(nil, func(r readmodel.Request) bool { return r.Patient.NHSNumber.String() == n && canOpenRequest(v, r) })
	touchRequests(ctx, out...)
	return out, nil
}

// Timeline lists the beds service's entries for a patient that the viewer
// may see (each entry is about a request or a stay), in time order.
func (q *Queries) Timeline(ctx context.Context, nhsNumber string) ([]readmodel.TimelineEntry, error) {
	v, n, err := q.patient(ctx, nhsNumber)
	if err != nil {
		return nil, err
	}
	var out []readmodel.TimelineEntry
	for _, e := range q.views.Timeline(n) {
		if s, ok := q.views.Stay(e.RefID); ok && canOpenStay(v, s) {
			out = append(out, e)
		} else if r, ok := q.views.Request(e.RefID); ok && canOpenRequest(v, r) {
			out = append(out, e)
		}
	}
	if len(out) > 0 {
		audit.Touch(ctx, n)
	}
	return out, nil
}

func (q *Queries) patient(ctx context.Context, nhsNumber string) (auth.Viewer, string, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return v, "", err
	}
	n, err := nhsnumber.Parse(nhsNumber)
	if err != nil {
		return v, "", err
	}
	return v, n.String(), nil
}

func sortStays(s []readmodel.Stay, less func(a, b readmodel.Stay) bool) {
	sort.SliceStable(s, func(i, j int) bool { return less(s[i], s[j]) })
}

// KnownLocality reports whether a locality is in the registry (a federated
// router may ask for any id).
func (q *Queries) KnownLocality(id string) bool {
	if q.localities == nil {
		return false
	}
	_, ok := q.localities.Get(locality.ID(id))
	return ok
}
