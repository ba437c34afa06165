package errs_test

import (
	"errors"
	"fmt"
	"testing"

	"carecoord/pkg/errs"
)

func TestKindOf_finds_the_typed_error_through_wrapping(t *testing.T) {
	err := fmt.Errorf("allocating: %w", errs.Conflict("the bed was taken: reload and retry", "bed-taken"))
	if errs.KindOf(err) != errs.KindConflict || errs.KindOf(err).Code() != "CONFLICT" {
		t.Fatalf("kind %v", errs.KindOf(err))
	}
	if errs.KindOf(errors.New("boom")) != errs.KindInternal {
		t.Fatal("an untyped error is not internal")
	}
	e, ok := errs.As(err)
	if !ok || e.Slug != "bed-taken" {
		t.Fatalf("As gave %v, %v", e, ok)
	}
}

func TestCodes_match_the_API_contract(t *testing.T) {
	want := map[errs.Kind]string{
		errs.KindInvalidInput: "BAD_USER_INPUT", errs.KindNotFound: "NOT_FOUND", errs.KindConflict: "CONFLICT",
		errs.KindForbidden: "FORBIDDEN", errs.KindUnauthenticated: "UNAUTHENTICATED", errs.KindRateLimited: "RATE_LIMITED",
		errs.KindInternal: "INTERNAL",
	}
	for k, code := range want {
		if k.Code() != code {
			t.Errorf("kind %d has code %s, want %s", k, k.Code(), code)
		}
	}
}

func TestIllegalStep_names_the_current_state(t *testing.T) {
	err := errs.IllegalStep("discharge the patient", "awaiting admission", "not-admitted")
	if err.Error() != "cannot discharge the patient: it is awaiting admission" || err.Kind != errs.KindInvalidInput {
		t.Fatalf("got %q", err.Error())
	}
	inv := errs.Invalid("patient.nhsNumber", "is not a valid NHS number", "nhs-number-invalid")
	if inv.Error() != "patient.nhsNumber: is not a valid NHS number" {
		t.Fatalf("got %q", inv.Error())
	}
}
