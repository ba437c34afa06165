package graphql

import (
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/readmodel"
)

// types are the subgraph's object types, built once per subgraph.
type types struct {
	enums
	locality, patient *graphql.Object
	referral          *graphql.Object
	timelineEntry     *graphql.Object
	summary           *graphql.Object
	performance       *graphql.Object
	band              *graphql.Object
}

func newTypes(r *resolver, locality, patient *graphql.Object) *types {
	t := &types{enums: newEnums(), locality: locality, patient: patient}
	t.band = waitingListBandType()
	t.referral = r.referralType(t)
	t.timelineEntry = timelineEntryType()
	t.summary = localitySummaryType(t)
	t.performance = r.performanceType(t)
	return t
}

// field resolves a Referral field from the read model's view.
func field(fn func(r readmodel.Referral) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return fn(p.Source.(readmodel.Referral)), nil }
}

// referralType is Referral: one referral, its details, where it is and its
// history.
func (r *resolver) referralType(t *types) *graphql.Object {
	str, nnStr := graphql.String, graphql.NewNonNull(graphql.String)
	patient := graphql.NewObject(graphql.ObjectConfig{
		Name:        "ReferralPatient",
		Description: "The patient as the referral describes them.",
		Fields: graphql.Fields{
			"nhsNumber":             {Type: str, Description: "Null when not known.", Resolve: patientField(func(p domain.PatientBlock) any { return p.NHSNumber })},
			"nhsNumberVerification": {Type: graphql.NewNonNull(t.verification), Resolve: patientField(func(p domain.PatientBlock) any { return p.NHSNumberVerification })},
			"givenName":             {Type: nnStr, Resolve: patientField(func(p domain.PatientBlock) any { return p.GivenName })},
			"familyName":            {Type: nnStr, Resolve: patientField(func(p domain.PatientBlock) any { return p.FamilyName })},
			"name":                  {Type: nnStr, Resolve: patientField(func(p domain.PatientBlock) any { return p.GivenName + " " + p.FamilyName })},
			"dateOfBirth":           {Type: str, Resolve: patientField(func(p domain.PatientBlock) any { return p.DateOfBirth })},
			"postcode":              {Type: str, Resolve: patientField(func(p domain.PatientBlock) any { return p.Postcode })},
			"gpPractice":            {Type: str, Description: "ODS code of the registered GP practice.", Resolve: patientField(func(p domain.PatientBlock) any { return p.GPPractice })},
		},
	})
	referrer := graphql.NewObject(graphql.ObjectConfig{
		Name: "ReferralReferrer",
		Fields: graphql.Fields{
			"name":            {Type: str},
			"organisationOds": {Type: str},
			"source":          {Type: graphql.NewNonNull(t.source), Resolve: func(p graphql.ResolveParams) (any, error) { return string(p.Source.(domain.Referrer).Source), nil }},
		},
	})
	reason := graphql.NewObject(graphql.ObjectConfig{
		Name:        "ReferralReason",
		Description: "Why the patient is referred: a SNOMED CT concept.",
		Fields:      graphql.Fields{"snomedCode": {Type: nnStr}, "display": {Type: nnStr}},
	})
	triage := graphql.NewObject(graphql.ObjectConfig{
		Name:        "ReferralTriage",
		Description: "The latest triage decision.",
		Fields: graphql.Fields{
			"outcome":       {Type: graphql.NewNonNull(t.outcome), Resolve: triageField(func(x readmodel.Triage) any { return string(x.Outcome) })},
			"at":            {Type: nnStr, Resolve: triageField(func(x readmodel.Triage) any { return gql.Time(x.At) })},
			"by":            {Type: nnStr, Description: "User ID.", Resolve: triageField(func(x readmodel.Triage) any { return x.By })},
			"priority":      {Type: t.priority, Description: "On ACCEPT.", Resolve: triageField(func(x readmodel.Triage) any { return nilIfEmpty(string(x.Priority)) })},
			"reason":        {Type: str, Resolve: triageField(func(x readmodel.Triage) any { return x.Reason })},
			"service":       {Type: str, Description: "On REDIRECT: where to.", Resolve: triageField(func(x readmodel.Triage) any { return x.Service })},
			"information":   {Type: str, Description: "On REQUEST_INFORMATION: what is needed.", Resolve: triageField(func(x readmodel.Triage) any { return x.Information })},
			"requestedFrom": {Type: str, Resolve: triageField(func(x readmodel.Triage) any { return x.RequestedFrom })},
		},
	})
	allocation := graphql.NewObject(graphql.ObjectConfig{
		Name: "ReferralAllocation",
		Fields: graphql.Fields{
			"team":          {Type: nnStr, Resolve: allocField(func(a readmodel.Allocation) any { return a.Team })},
			"clinicianId":   {Type: graphql.NewNonNull(graphql.ID), Resolve: allocField(func(a readmodel.Allocation) any { return a.ClinicianID })},
			"clinicianName": {Type: str, Resolve: allocField(func(a readmodel.Allocation) any { return a.ClinicianName })},
			"at":            {Type: nnStr, Resolve: allocField(func(a readmodel.Allocation) any { return gql.Time(a.At) })},
			"by":            {Type: nnStr, Resolve: allocField(func(a readmodel.Allocation) any { return a.By })},
		},
	})
	closure := graphql.NewObject(graphql.ObjectConfig{
		Name: "ReferralClosure",
		Fields: graphql.Fields{
			"kind":   {Type: graphql.NewNonNull(t.closure), Resolve: closureField(func(c readmodel.Closure) any { return string(c.Kind) })},
			"reason": {Type: nnStr, Resolve: closureField(func(c readmodel.Closure) any { return c.Reason })},
			"at":     {Type: nnStr, Resolve: closureField(func(c readmodel.Closure) any { return gql.Time(c.At) })},
			"by":     {Type: nnStr, Resolve: closureField(func(c readmodel.Closure) any { return c.By })},
		},
	})
	clock := graphql.NewObject(graphql.ObjectConfig{
		Name:        "ReferralUcrClock",
		Description: "A UCR referral's 2-hour clock: from when the service could act on it to the first face-to-face contact.",
		Fields: graphql.Fields{
			"startedAt":               {Type: nnStr, Resolve: clockField(func(c readmodel.Clock) any { return gql.Time(c.StartedAt) })},
			"stoppedAt":               {Type: str, Resolve: clockField(func(c readmodel.Clock) any { return timeOrNil(c.StoppedAt) })},
			"elapsedMinutes":          {Type: graphql.NewNonNull(graphql.Int), Description: "To the stop, or to now while running.", Resolve: clockField(func(c readmodel.Clock) any { return int(c.Elapsed / time.Minute) })},
			"running":                 {Type: graphql.NewNonNull(graphql.Boolean), Resolve: clockField(func(c readmodel.Clock) any { return c.Running })},
			"within2Hours":            {Type: graphql.Boolean, Description: "Set once the clock has stopped.", Resolve: clockField(func(c readmodel.Clock) any { return c.Within2Hours })},
			"atRisk":                  {Type: graphql.NewNonNull(graphql.Boolean), Description: "Running for more than 90 minutes.", Resolve: clockField(func(c readmodel.Clock) any { return c.AtRisk })},
			"breached":                {Type: graphql.NewNonNull(graphql.Boolean), Resolve: clockField(func(c readmodel.Clock) any { return c.Breached })},
			"excludedByPatientChoice": {Type: graphql.NewNonNull(graphql.Boolean), Resolve: clockField(func(c readmodel.Clock) any { return c.Excluded })},
		},
	})
	history := graphql.NewObject(graphql.ObjectConfig{
		Name: "ReferralHistoryEntry",
		Fields: graphql.Fields{
			"at":      {Type: nnStr, Description: "Business time of the step.", Resolve: histField(func(h readmodel.HistoryEntry) any { return gql.Time(h.At) })},
			"type":    {Type: nnStr, Resolve: histField(func(h readmodel.HistoryEntry) any { return h.Type })},
			"summary": {Type: nnStr, Resolve: histField(func(h readmodel.HistoryEntry) any { return h.Summary })},
			"by":      {Type: str, Description: "User ID.", Resolve: histField(func(h readmodel.HistoryEntry) any { return nilIfEmpty(h.By) })},
			"status":  {Type: graphql.NewNonNull(t.status), Description: "Status after the step.", Resolve: histField(func(h readmodel.HistoryEntry) any { return string(h.Status) })},
		},
	})
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "Referral",
		Description: "A referral into an integrated care team or community service.",
		Fields: graphql.Fields{
			"id":             {Type: graphql.NewNonNull(graphql.ID), Resolve: field(func(x readmodel.Referral) any { return x.ID })},
			"status":         {Type: graphql.NewNonNull(t.status), Resolve: field(func(x readmodel.Referral) any { return string(x.Status) })},
			"localityId":     {Type: graphql.NewNonNull(graphql.ID), Resolve: field(func(x readmodel.Referral) any { return x.Locality })},
			"locality":       {Type: graphql.NewNonNull(t.locality), Resolve: field(func(x readmodel.Referral) any { return EntityKey("id", x.Locality) })},
			"patient":        {Type: t.patient, Description: "The patient entity; null while the NHS number is not known.", Resolve: field(patientEntity)},
			"patientDetails": {Type: graphql.NewNonNull(patient), Resolve: field(func(x readmodel.Referral) any { return x.Patient })},
			"referrer":       {Type: graphql.NewNonNull(referrer), Resolve: field(func(x readmodel.Referral) any { return x.Referrer })},
			"receivedAt":     {Type: nnStr, Description: "When the service got the referral (business time).", Resolve: field(func(x readmodel.Referral) any { return gql.Time(x.ReceivedAt) })},
			"recordedAt":     {Type: nnStr, Description: "When it was entered into carecoord.", Resolve: field(func(x readmodel.Referral) any { return gql.Time(x.RecordedAt) })},
			"reason": {Type: graphql.NewNonNull(reason), Resolve: field(func(x readmodel.Referral) any {
				return map[string]any{"snomedCode": x.Reason.SnomedCode, "display": x.Reason.Display}
			})},
			"serviceRequested":      {Type: nnStr, Resolve: field(func(x readmodel.Referral) any { return x.ServiceRequested })},
			"priority":              {Type: graphql.NewNonNull(t.priority), Resolve: field(func(x readmodel.Referral) any { return string(x.Priority) })},
			"ucr":                   {Type: graphql.NewNonNull(graphql.Boolean), Description: "A UCR 2-hour referral (triage may take it out).", Resolve: field(func(x readmodel.Referral) any { return x.UCR })},
			"receivedAsUcr":         {Type: graphql.NewNonNull(graphql.Boolean), Resolve: field(func(x readmodel.Referral) any { return x.ReceivedAsUCR })},
			"consent":               {Type: graphql.NewNonNull(t.consent), Resolve: field(func(x readmodel.Referral) any { return string(x.Consent) })},
			"riskFlags":             {Type: nonNullList(t.riskFlag), Resolve: field(riskFlags)},
			"notes":                 {Type: str, Resolve: field(func(x readmodel.Referral) any { return x.Notes })},
			"sourceReference":       {Type: str, Description: "The record of another service that raised this referral (fallincident-<id>, stay-<id>).", Resolve: field(func(x readmodel.Referral) any { return x.SourceReference })},
			"triage":                {Type: triage, Resolve: field(func(x readmodel.Referral) any { return ptrOrNil(x.Triage) })},
			"informationReceivedAt": {Type: str, Resolve: field(func(x readmodel.Referral) any { return timeOrNil(x.InformationReceivedAt) })},
			"allocation":            {Type: allocation, Resolve: field(func(x readmodel.Referral) any { return ptrOrNil(x.Allocation) })},
			"firstContactAt":        {Type: str, Description: "The first face-to-face contact.", Resolve: field(func(x readmodel.Referral) any { return timeOrNil(x.FirstContactAt) })},
			"patientChoseLaterTime": {Type: graphql.NewNonNull(graphql.Boolean), Resolve: field(func(x readmodel.Referral) any { return x.PatientChoseLaterTime })},
			"patientPreferredAt":    {Type: str, Resolve: field(func(x readmodel.Referral) any { return timeOrNil(x.PatientPreferredAt) })},
			"closure":               {Type: closure, Resolve: field(func(x readmodel.Referral) any { return ptrOrNil(x.Closure) })},
			"ucrClock":              {Type: clock, Description: "Null for a referral that is not a UCR 2-hour referral.", Resolve: r.ucrClock},
			"waitingDays":           {Type: graphql.Int, Description: "Days since receipt while open.", Resolve: r.waitingDays},
			"waitingBand":           {Type: str, Description: "Waiting-list band (weeks: 0-1 ... 52+) while open.", Resolve: r.waitingBand},
			"history":               {Type: nonNullList(history), Resolve: field(func(x readmodel.Referral) any { return x.History })},
			"version":               {Type: graphql.NewNonNull(graphql.Int), Description: "Stream revision of the last change.", Resolve: field(func(x readmodel.Referral) any { return int(x.Revision) })},
		},
	})
}

func (r *resolver) ucrClock(p graphql.ResolveParams) (any, error) {
	if c, ok := p.Source.(readmodel.Referral).UCRClock(r.app.Now()); ok {
		return c, nil
	}
	return nil, nil
}

func (r *resolver) waitingDays(p graphql.ResolveParams) (any, error) {
	if w, _, ok := p.Source.(readmodel.Referral).Waiting(r.app.Now()); ok {
		return int(w / (24 * time.Hour)), nil
	}
	return nil, nil
}

func (r *resolver) waitingBand(p graphql.ResolveParams) (any, error) {
	if _, b, ok := p.Source.(readmodel.Referral).Waiting(r.app.Now()); ok {
		return b.Label, nil
	}
	return nil, nil
}

func patientEntity(x readmodel.Referral) any {
	if n := x.Patient.NHS(); n != "" {
		return EntityKey("nhsNumber", n)
	}
	return nil
}

func riskFlags(x readmodel.Referral) any {
	out := make([]string, len(x.RiskFlags))
	for i, f := range x.RiskFlags {
		out[i] = string(f)
	}
	return out
}

// ptrOrNil keeps a nil pointer nil for graphql-go (a typed nil in an
// interface is not nil).
func ptrOrNil[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func patientField(fn func(domain.PatientBlock) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return fn(p.Source.(domain.PatientBlock)), nil }
}

func triageField(fn func(readmodel.Triage) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return fn(p.Source.(readmodel.Triage)), nil }
}

func allocField(fn func(readmodel.Allocation) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return fn(p.Source.(readmodel.Allocation)), nil }
}

func closureField(fn func(readmodel.Closure) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return fn(p.Source.(readmodel.Closure)), nil }
}

func clockField(fn func(readmodel.Clock) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return fn(p.Source.(readmodel.Clock)), nil }
}

func histField(fn func(readmodel.HistoryEntry) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return fn(p.Source.(readmodel.HistoryEntry)), nil }
}
