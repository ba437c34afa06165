// Package config reads the settings of `carecoord serve` from command-line
// flags, each of which takes its default from an environment variable named
// after it (--data-dir ← CARECOORD_DATA_DIR), so that the same binary is
// configured by flags on a laptop and by environment in a container.
//
// It imports only the standard library and pkg/logging (to validate levels).
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"carecoord/pkg/logging"
)

// EnvPrefix starts the name of every environment variable that sets a flag.
const EnvPrefix = "CARECOORD_"

// DefaultGCPercent is serve's garbage collector target: four times the
// live heap may be garbage before a collection, which halves the
// collector's share of a busy gateway's CPU at the price of memory the
// read models' few hundred megabytes can spare.
const DefaultGCPercent = 400

// Config is what serve needs to start.
type Config struct {
	// DataDir holds the process's state; the embedded store lives in
	// DataDir/eventstore.
	DataDir string
	// Listen is the HTTP address, host:port; port 0 picks a free port.
	Listen string
	// Dev switches to readable, coloured logs.
	Dev bool
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LocalitiesFile, HospitalsFile and RespondersFile replace the built-in
	// (demo) reference data: the 23 localities and their GP practices, the
	// community hospitals' wards and beds, the falls responder units.
	LocalitiesFile, HospitalsFile, RespondersFile string
	// Services names the domain services this process hosts
	// (comma-separated; "all" for every one).
	Services string
	// ShutdownTimeout bounds how long shutdown waits for in-flight requests
	// and for each later step.
	ShutdownTimeout time.Duration
	// Subgraphs are the services that run elsewhere: /graphql reaches each
	// one over HTTP at its URL (another carecoord's
	// /subgraphs/<name>/federated). A service is either hosted (Services)
	// or remote, never both.
	Subgraphs []RemoteSubgraph
	// OIDC, when its JWKSURL is set, verifies /graphql's bearer tokens
	// against the identity provider's keys instead of the development key.
	OIDC OIDC
	// GCPercent is the garbage collector's target (as GOGC): a GraphQL
	// request allocates much and keeps little, so a server collects less
	// often than Go's default of 100 asks. 0 leaves the runtime's setting
	// (GOGC) alone.
	GCPercent int
	// SigningKey is the file of the development token key (default
	// DataDir/dev-signing-key): the nodes of a cluster share one, so that
	// a token works on every node.
	SigningKey string
	// Raft, when Enabled, makes this process a node of a replicated
	// cluster: its event store is the raft backend (pkg/eventstore/raftstore)
	// in DataDir/raft instead of the embedded one.
	Raft Raft
}

// Raft is a cluster node's settings.
type Raft struct {
	Enabled bool
	// NodeID names the node for all time.
	NodeID string
	// Addr is the TCP address raft and the node's own RPC listen on;
	// Advertise, when set, is the address other nodes reach it at.
	Addr, Advertise string
	// Bootstrap starts a new cluster with this node as its first voter;
	// Join (comma-separated addresses of existing nodes) asks one of them to
	// add it. Both only matter on the node's first start.
	Bootstrap bool
	Join      string
	// NonVoter joins as a non-voter: it replicates and serves, but does not
	// count towards the quorum.
	NonVoter bool
	// TrailingLogs, SnapshotThreshold and SnapshotInterval tune raft's
	// snapshots (0: raftstore's defaults, see its DESIGN.md): how many log
	// entries a snapshot leaves behind for slow followers, how many new
	// entries and how long between snapshots.
	TrailingLogs, SnapshotThreshold uint64
	SnapshotInterval                time.Duration
}

// JoinAddrs is Join as a list.
func (r Raft) JoinAddrs() []string {
	var out []string
	for _, a := range strings.Split(r.Join, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// OIDC is how production tokens are verified: an OpenID Connect identity
// provider's key set, issuer and audience, and where in its tokens the
// viewer's fields are (NHS CIS2, for one, carries roles in its own claims).
type OIDC struct {
	// JWKSURL is the provider's key set (its discovery document's jwks_uri);
	// empty means development tokens.
	JWKSURL string
	// Issuer and Audience must match the token's iss and aud.
	Issuer, Audience string
	// Claim names or dotted paths (e.g. nhsid_nrbac_roles.0.role_code) of
	// the viewer's fields; empty means the defaults (sub, name, role,
	// localities, org).
	ClaimSubject, ClaimName, ClaimRole, ClaimLocalities, ClaimOrganisation string
	// RoleMap maps the provider's role codes to carecoord role names.
	RoleMap map[string]string
}

// RemoteSubgraph is a service that runs in another process, reached over
// HTTP with the federation protocol.
type RemoteSubgraph struct {
	// Name is the service's name ("referrals").
	Name string
	// URL is its federated subgraph endpoint.
	URL string
}

// ServiceNames are the domain services a process can host or reach, in
// start order (package hosting holds the same list; a test keeps them equal).
var ServiceNames = []string{"referrals", "caseload", "beds", "falls"}

// subgraphsValue is the repeatable --subgraph NAME=URL flag; one value may
// also list several, comma-separated (which is how CARECOORD_SUBGRAPHS sets
// them). Flags given on the command line replace the environment's list.
type subgraphsValue struct {
	list *[]RemoteSubgraph
	// fromEnv: the list came from the environment, so the first flag
	// replaces it rather than adding to it.
	fromEnv bool
}

func (v *subgraphsValue) String() string {
	if v == nil || v.list == nil {
		return ""
	}
	parts := make([]string, len(*v.list))
	for i, s := range *v.list {
		parts[i] = s.Name + "=" + s.URL
	}
	return strings.Join(parts, ",")
}

func (v *subgraphsValue) Set(s string) error {
	if v.fromEnv {
		*v.list, v.fromEnv = nil, false
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, u, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("%q is not NAME=URL", part)
		}
		*v.list = append(*v.list, RemoteSubgraph{Name: strings.TrimSpace(name), URL: strings.TrimSpace(u)})
	}
	return nil
}

// roleMapValue is the --role-map CODE=ROLE,... flag; a value replaces the
// whole map.
type roleMapValue struct{ m *map[string]string }

func (v *roleMapValue) String() string {
	if v == nil || v.m == nil || len(*v.m) == 0 {
		return ""
	}
	codes := make([]string, 0, len(*v.m))
	for c := range *v.m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for i, c := range codes {
		codes[i] = c + "=" + (*v.m)[c]
	}
	return strings.Join(codes, ",")
}

func (v *roleMapValue) Set(s string) error {
	m := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		code, role, ok := strings.Cut(part, "=")
		code, role = strings.TrimSpace(code), strings.TrimSpace(role)
		if !ok || code == "" || role == "" {
			return fmt.Errorf("%q is not CODE=ROLE", part)
		}
		if _, dup := m[code]; dup {
			return fmt.Errorf("%s is mapped more than once", code)
		}
		m[code] = role
	}
	if len(m) == 0 {
		m = nil
	}
	*v.m = m
	return nil
}

// flagSet is the one table of serve's settings. A new setting is one line
// here: its environment variable, usage text and validation by type follow
// from it.
func flagSet(c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	// Errors are returned, and usage printed, by the caller.
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.DataDir, "data-dir", "./.data", "directory for the event store and other state")
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "HTTP listen address, host:port (port 0 picks a free port)")
	fs.BoolVar(&c.Dev, "dev", false, "development mode: readable, coloured logs")
	fs.StringVar(&c.LogLevel, "log-level", "info", "minimum log level: debug, info, warn or error")
	fs.StringVar(&c.LocalitiesFile, "localities-file", "", "JSON file of localities and GP practices (default: built-in demo data)")
	fs.StringVar(&c.HospitalsFile, "hospitals-file", "", "JSON file of community hospitals, wards and beds (default: built-in demo data)")
	fs.StringVar(&c.RespondersFile, "responders-file", "", "JSON file of falls responder units (default: built-in demo data)")
	fs.StringVar(&c.Services, "services", "all", "domain services to host, comma-separated: referrals, caseload, beds, falls (all)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutdown waits for in-flight requests")
	fs.StringVar(&c.SigningKey, "signing-key", "", "file of the key that signs and checks development tokens (default <data-dir>/dev-signing-key; give the nodes of a cluster the same one)")
	fs.BoolVar(&c.Raft.Enabled, "raft", false, "run as a node of a replicated cluster (hashicorp/raft): the event store is replicated to the other nodes")
	fs.StringVar(&c.Raft.NodeID, "node-id", "", "with --raft: this node's name, for all time (e.g. node1)")
	fs.StringVar(&c.Raft.Addr, "raft-addr", "", "with --raft: `host:port` this node's raft listens on (other nodes and `carecoord cluster` connect to it)")
	fs.StringVar(&c.Raft.Advertise, "raft-advertise", "", "with --raft: the address other nodes reach this one at, when not --raft-addr")
	fs.BoolVar(&c.Raft.Bootstrap, "bootstrap", false, "with --raft, on the first start: begin a new cluster with this node as its first voter")
	fs.StringVar(&c.Raft.Join, "join", "", "with --raft, on the first start: ask the node at `ADDR` (raft address; comma-separated to try several) to add this one")
	fs.Uint64Var(&c.Raft.TrailingLogs, "raft-trailing-logs", 0, "with --raft: log entries kept after a snapshot for followers that are behind (0: the default)")
	fs.Uint64Var(&c.Raft.SnapshotThreshold, "raft-snapshot-threshold", 0, "with --raft: new log entries that prompt a snapshot (0: the default)")
	fs.DurationVar(&c.Raft.SnapshotInterval, "raft-snapshot-interval", 0, "with --raft: how often to check whether to snapshot (0: the default)")
	fs.BoolVar(&c.Raft.NonVoter, "non-voter", false, "with --raft --join: join as a non-voter (replicates and serves; not part of the quorum)")
	fs.IntVar(&c.GCPercent, "gc-percent", DefaultGCPercent, "garbage collector target, as GOGC (0: leave the runtime's setting, e.g. from GOGC)")
	fs.Var(&subgraphsValue{list: &c.Subgraphs}, "subgraph",
		"a service that runs elsewhere, `NAME=URL` of its federated subgraph (e.g. referrals=http://host:8080/subgraphs/referrals/federated); repeatable or comma-separated; not one of --services")
	fs.StringVar(&c.OIDC.JWKSURL, "jwks-url", "", "identity provider's JWKS URL: production tokens are verified against its keys (default: development tokens)")
	fs.StringVar(&c.OIDC.Issuer, "oidc-issuer", "", "the tokens' issuer (iss); required with --jwks-url")
	fs.StringVar(&c.OIDC.Audience, "oidc-audience", "", "the tokens' audience (aud); required with --jwks-url")
	fs.StringVar(&c.OIDC.ClaimSubject, "claim-subject", "", "claim, or dotted path, of the user's ID (default sub)")
	fs.StringVar(&c.OIDC.ClaimName, "claim-name", "", "claim, or dotted path, of the user's name (default name)")
	fs.StringVar(&c.OIDC.ClaimRole, "claim-role", "", "claim, or dotted path, of the role, e.g. nhsid_nrbac_roles.0.role_code (default role)")
	fs.StringVar(&c.OIDC.ClaimLocalities, "claim-localities", "", "claim, or dotted path, of the localities: a list or a space/comma separated string (default localities)")
	fs.StringVar(&c.OIDC.ClaimOrganisation, "claim-organisation", "", "claim, or dotted path, of the organisation (default org)")
	fs.Var(&roleMapValue{m: &c.OIDC.RoleMap}, "role-map",
		"the identity provider's role codes as carecoord roles, `CODE=ROLE,...` (e.g. R8000=ict_clinician,R8001=bed_manager); when set, only mapped codes count")
	return fs
}

// envNames are the environment variables not named after their flag: a
// repeatable flag's variable holds a list, so it takes the plural.
var envNames = map[string]string{"subgraph": EnvPrefix + "SUBGRAPHS"}

// EnvVar is the environment variable that sets the default of flag name.
func EnvVar(flagName string) string {
	if env, ok := envNames[flagName]; ok {
		return env
	}
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse reads serve's configuration: built-in defaults, overridden by the
// environment (looked up with lookupEnv, normally os.LookupEnv), overridden
// by args. It returns flag.ErrHelp when args ask for help.
func Parse(args []string, lookupEnv func(string) (string, bool)) (Config, error) {
	var c Config
	fs := flagSet(&c)

	fromEnv := map[string]string{}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		env := EnvVar(f.Name)
		v, ok := lookupEnv(env)
		// An empty value counts as unset: `CARECOORD_X=` is how shells and
		// compose files clear a variable.
		if !ok || v == "" {
			return
		}
		// Value.Set, not FlagSet.Set: the flag stays "not given", so that the
		// command line still overrides it.
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s=%q: want %s (it sets --%s)", env, v, valueKind(f), f.Name))
			return
		}
		if sv, ok := f.Value.(*subgraphsValue); ok {
			sv.fromEnv = true
		}
		fromEnv[f.Name] = env
	})
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}

	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	// Name where a bad value came from: a flag or its environment variable.
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	source := func(name string) string {
		if env, ok := fromEnv[name]; ok && !given[name] {
			return env
		}
		return "--" + name
	}
	if err := c.validate(source); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c *Config) validate(source func(flagName string) string) error {
	var errs []error
	if strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, fmt.Errorf("%s: must not be empty", source("data-dir")))
	}
	if err := checkListen(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("%s %q: %v", source("listen"), c.Listen, err))
	}
	if _, err := logging.ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("%s: %v", source("log-level"), err))
	}
	if c.GCPercent < 0 {
		errs = append(errs, fmt.Errorf("%s: must be 0 or more, got %d", source("gc-percent"), c.GCPercent))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("%s: must be positive, got %s", source("shutdown-timeout"), c.ShutdownTimeout))
	}
	errs = append(errs, c.validateRaft(source)...)
	errs = append(errs, c.validateSubgraphs(source)...)
	errs = append(errs, c.validateOIDC(source)...)
	return errors.Join(errs...)
}

// validateRaft checks that a node has its name and address, and that the
// raft settings are not given without --raft.
func (c *Config) validateRaft(source func(flagName string) string) []error {
	r := c.Raft
	var errs []error
	if !r.Enabled {
		for name, set := range map[string]bool{"node-id": r.NodeID != "", "raft-addr": r.Addr != "", "raft-advertise": r.Advertise != "",
			"bootstrap": r.Bootstrap, "join": r.Join != "", "non-voter": r.NonVoter, "raft-trailing-logs": r.TrailingLogs != 0,
			"raft-snapshot-threshold": r.SnapshotThreshold != 0, "raft-snapshot-interval": r.SnapshotInterval != 0} {
			if set {
				errs = append(errs, fmt.Errorf("%s: needs --raft", source(name)))
			}
		}
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return errs
	}
	if strings.TrimSpace(r.NodeID) == "" {
		errs = append(errs, fmt.Errorf("%s: a node needs a name (--node-id)", source("node-id")))
	}
	if err := checkListen(r.Addr); err != nil {
		errs = append(errs, fmt.Errorf("%s %q: %v", source("raft-addr"), r.Addr, err))
	}
	if r.Bootstrap && len(r.JoinAddrs()) > 0 {
		errs = append(errs, fmt.Errorf("%s: a node either starts a cluster (--bootstrap) or joins one (--join), not both", source("join")))
	}
	if r.NonVoter && len(r.JoinAddrs()) == 0 {
		errs = append(errs, fmt.Errorf("%s: a non-voter joins a cluster: give --join", source("non-voter")))
	}
	return errs
}

// validateOIDC checks that a JWKS URL comes with an issuer and audience,
// and that the OIDC settings are not given without one (which would leave
// development tokens in force).
func (c *Config) validateOIDC(source func(flagName string) string) []error {
	o := c.OIDC
	if strings.TrimSpace(o.JWKSURL) == "" {
		var errs []error
		for name, v := range map[string]bool{
			"oidc-issuer": o.Issuer != "", "oidc-audience": o.Audience != "",
			"claim-subject": o.ClaimSubject != "", "claim-name": o.ClaimName != "", "claim-role": o.ClaimRole != "",
			"claim-localities": o.ClaimLocalities != "", "claim-organisation": o.ClaimOrganisation != "",
			"role-map": len(o.RoleMap) > 0,
		} {
			if v {
				errs = append(errs, fmt.Errorf("%s: needs --jwks-url (without it, development tokens are used)", source(name)))
			}
		}
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return errs
	}
	var errs []error
	if u, err := url.Parse(o.JWKSURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("%s %q: want an http:// or https:// URL", source("jwks-url"), o.JWKSURL))
	}
	if strings.TrimSpace(o.Issuer) == "" {
		errs = append(errs, fmt.Errorf("%s: required with %s", source("oidc-issuer"), source("jwks-url")))
	}
	if strings.TrimSpace(o.Audience) == "" {
		errs = append(errs, fmt.Errorf("%s: required with %s", source("oidc-audience"), source("jwks-url")))
	}
	return errs
}

// validateSubgraphs checks each remote service: a known name, given once,
// an http(s) URL, and not also hosted here.
func (c *Config) validateSubgraphs(source func(flagName string) string) []error {
	var errs []error
	hosted := map[string]bool{}
	if c.Services == "" || c.Services == "all" {
		for _, n := range ServiceNames {
			hosted[n] = true
		}
	} else {
		for _, n := range strings.Split(c.Services, ",") {
			hosted[strings.TrimSpace(n)] = true
		}
	}
	seen := map[string]bool{}
	for _, s := range c.Subgraphs {
		where := fmt.Sprintf("%s %s=%s", source("subgraph"), s.Name, s.URL)
		switch {
		case !slices.Contains(ServiceNames, s.Name):
			errs = append(errs, fmt.Errorf("%s: unknown service %q (known: %s)", where, s.Name, strings.Join(ServiceNames, ", ")))
			continue
		case seen[s.Name]:
			errs = append(errs, fmt.Errorf("%s: %s is given more than once", where, s.Name))
			continue
		case hosted[s.Name]:
			errs = append(errs, fmt.Errorf("%s: %s is also hosted in this process (%s %q); list only the services hosted here, e.g. --services %s",
				where, s.Name, source("services"), c.Services, strings.Join(without(ServiceNames, s.Name), ",")))
		}
		seen[s.Name] = true
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: want an http:// or https:// URL, e.g. http://host:8080/subgraphs/%s/federated", where, s.Name))
		}
	}
	return errs
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port, e.g. 127.0.0.1:8080")
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

// valueKind describes what a flag accepts, for error messages: the flag
// package itself only says "parse error".
func valueKind(f *flag.Flag) string {
	switch typ, _ := flag.UnquoteUsage(f); typ {
	case "":
		return "a boolean (true or false)"
	case "duration":
		return "a duration (e.g. 10s, 1m30s)"
	default:
		return "a " + typ
	}
}

// PrintUsage writes serve's flags with their defaults and environment
// variables.
func PrintUsage(w io.Writer) {
	fs := flagSet(&Config{})
	fmt.Fprintf(w, "Usage: carecoord serve [flags]\n\nFlags (each defaults to its environment variable when set):\n")
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  %s\n", strings.TrimSpace("--"+f.Name+" "+typ))
		fmt.Fprintf(w, "        %s (default %q, env %s)\n", usage, f.DefValue, EnvVar(f.Name))
	})
}

// SigningKeyFile is where the development token key is: SigningKey, or
// DataDir/dev-signing-key.
func (c Config) SigningKeyFile() string {
	if c.SigningKey != "" {
		return c.SigningKey
	}
	return filepath.Join(c.DataDir, "dev-signing-key")
}
