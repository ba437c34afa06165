package gql_test

import (
	"errors"
	"testing"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/errs"
	"carecoord/pkg/gql"
)

func TestError_maps_kinds_to_extensions(t *testing.T) {
	err := gql.Error(errs.Invalid("patient.nhsNumber", "has a wrong check digit", "nhs-number-check-digit"))
	fe, ok := err.(*gql.FieldError)
	if !ok {
		t.Fatalf("%T", err)
	}
	ext := fe.Extensions()
	if ext["code"] != "BAD_USER_INPUT" || ext["field"] != "patient.nhsNumber" || ext["reason"] != "nhs-number-check-digit" {
		t.Fatalf("extensions %v", ext)
	}
	internal := gql.Error(errors.New("pebble: disk full at /var/lib/secret"))
	if internal.Error() == "pebble: disk full at /var/lib/secret" || internal.(*gql.FieldError).Extensions()["code"] != "INTERNAL" {
		t.Fatalf("internal error leaked: %v", internal)
	}
}

func TestResolver_errors_reach_the_response_with_their_code(t *testing.T) {
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"bed": &graphql.Field{Type: graphql.String, Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			return nil, errs.Conflict("the bed was taken: reload and retry", "bed-taken")
		})},
	}})})
	if err != nil {
		t.Fatal(err)
	}
	res := graphql.Do(graphql.Params{Schema: schema, RequestString: "{ bed }"})
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "CONFLICT" {
		t.Fatalf("errors %+v", res.Errors)
	}
}

func TestDecode_reports_the_offending_field(t *testing.T) {
	type in struct {
		Priority string `json:"priority"`
	}
	p := graphql.ResolveParams{Args: map[string]any{"input": map[string]any{"priority": "URGENT_2H"}}}
	v, err := gql.Decode[in](p, "input")
	if err != nil || v.Priority != "URGENT_2H" {
		t.Fatalf("%+v %v", v, err)
	}
	if _, err := gql.Decode[in](graphql.ResolveParams{Args: map[string]any{}}, "input"); !errs.Is(err, errs.KindInvalidInput) {
		t.Fatalf("missing input: %v", err)
	}
}
