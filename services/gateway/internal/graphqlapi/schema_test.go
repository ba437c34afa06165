package graphqlapi

import (
	"encoding/json"
	"testing"

	"github.com/graphql-go/graphql"
)

func TestServerInfo_query(t *testing.T) {
	schema, err := NewSchema(Deps{ServerInfo: ServerInfo{Version: "v1.2.3", StoreBackend: "embedded"}})
	if err != nil {
		t.Fatal(err)
	}
	res := graphql.Do(graphql.Params{Schema: schema, RequestString: `{ serverInfo { version storeBackend } }`})
	if res.HasErrors() {
		t.Fatalf("errors: %v", res.Errors)
	}
	got, _ := json.Marshal(res.Data)
	if want := `{"serverInfo":{"storeBackend":"embedded","version":"v1.2.3"}}`; string(got) != want {
		t.Errorf("data = %s, want %s", got, want)
	}
}

func TestSchema_types_are_non_null(t *testing.T) {
	schema, err := NewSchema(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if got := schema.QueryType().Fields()["serverInfo"].Type.String(); got != "ServerInfo!" {
		t.Errorf("Query.serverInfo is %s, want ServerInfo!", got)
	}
	info := schema.Type("ServerInfo").(*graphql.Object).Fields()
	for _, f := range []string{"version", "storeBackend"} {
		if got := info[f].Type.String(); got != "String!" {
			t.Errorf("ServerInfo.%s is %s, want String!", f, got)
		}
	}
}
