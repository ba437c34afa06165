package graphql

import (
	"testing"

	"carecoord/pkg/errs"
	"carecoord/pkg/nhsnumber"
)

func TestKeyOf_reads_the_key_from_maps_and_structs(t *testing.T) {
	type locality struct{ ID string }
	type patient struct {
		Number nhsnumber.Number `json:"nhsNumber"`
	}
	n := nhsnumber.MustParse("9434765919")
	for _, c := range []struct {
		src  any
		key  string
		want string
	}{
		{map[string]any{"id": "leek"}, "id", "leek"},
		{map[string]string{"id": "leek"}, "id", "leek"},
		{locality{ID: "leek"}, "id", "leek"},
		{&locality{ID: "leek"}, "id", "leek"},
		{map[string]any{"nhsNumber": "9434765919"}, "nhsNumber", "9434765919"},
		{patient{Number: n}, "nhsNumber", "9434765919"},
		{map[string]any{"nhsNumber": n}, "nhsNumber", "9434765919"},
	} {
		got, err := keyOf(c.src, c.key)
		if err != nil || got != c.want {
			t.Errorf("keyOf(%#v, %q) = %q, %v", c.src, c.key, got, err)
		}
	}
	for _, src := range []any{nil, map[string]any{}, struct{ Name string }{"x"}, 42} {
		if _, err := keyOf(src, "id"); !errs.Is(err, errs.KindInvalidInput) {
			t.Errorf("keyOf(%#v) = %v, want an error", src, err)
		}
	}
}
