package graphql

import "testing"

type localityStruct struct {
	ID string `json:"id"`
}

type patientStruct struct {
	NHS string `json:"nhsNumber"`
}

func TestKeyOf_reads_maps_and_structs(t *testing.T) {
	for _, tc := range []struct {
		src  any
		key  string
		want string
	}{
		{map[string]any{"id": "leek"}, "id", "leek"},
		{map[string]string{"nhsNumber": "9434765919"}, "nhsNumber", "9434765919"},
		{localityStruct{ID: "leek"}, "id", "leek"},
		{&localityStruct{ID: "tamworth"}, "id", "tamworth"},
		{patientStruct{NHS: "9434765919"}, "nhsNumber", "9434765919"},
	} {
		if got, ok := keyOf(tc.src, tc.key); !ok || got != tc.want {
			t.Errorf("keyOf(%#v, %q) = %q, %v", tc.src, tc.key, got, ok)
		}
	}
	if _, ok := keyOf(map[string]any{}, "id"); ok {
		t.Error("a missing key was found")
	}
	if _, ok := keyOf((*localityStruct)(nil), "id"); ok {
		t.Error("a nil source had a key")
	}
}
