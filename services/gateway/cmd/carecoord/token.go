package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"carecoord/pkg/auth"
	"carecoord/pkg/locality"
)

// repeated is a flag that may be given more than once (--locality a --locality b).
type repeated []string

func (r *repeated) String() string { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*r = append(*r, p)
		}
	}
	return nil
}

// token issues a development token signed with the data directory's key: the
// token alone on stdout, so that TOKEN=$(carecoord token ...) works.
func token(args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := "./.data"
	if v, ok := lookupEnv("CARECOORD_DATA_DIR"); ok && v != "" {
		dataDir = v
	}
	fs.StringVar(&dataDir, "data-dir", dataDir, "data directory whose signing key signs the token (CARECOORD_DATA_DIR)")
	signingKey, _ := lookupEnv("CARECOORD_SIGNING_KEY")
	fs.StringVar(&signingKey, "signing-key", signingKey, "the signing key's file, when serve was given --signing-key (CARECOORD_SIGNING_KEY)")
	role := fs.String("role", "", "role: "+rolesList())
	name := fs.String("name", "", "display name")
	subject := fs.String("subject", "", "user ID (default: derived from the name and role)")
	org := fs.String("org", "", "organisation ODS code")
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid")
	var locs repeated
	fs.Var(&locs, "locality", "a locality the user works in (repeat or comma-separate; not needed for admin)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	r := auth.Role(*role)
	valid := false
	for _, known := range auth.Roles {
		valid = valid || known == r
	}
	if !valid {
		fmt.Fprintf(stderr, "carecoord token: --role must be one of %s\n", rolesList())
		return 2
	}
	reg := locality.Default()
	if path, ok := lookupEnv("CARECOORD_LOCALITIES_FILE"); ok && path != "" {
		loaded, err := locality.Load(path)
		if err != nil {
			fmt.Fprintf(stderr, "carecoord token: %v\n", err)
			return 1
		}
		reg = loaded
	}
	for _, l := range locs {
		if _, ok := reg.Get(locality.ID(l)); !ok {
			fmt.Fprintf(stderr, "carecoord token: unknown locality %q\n", l)
			return 2
		}
	}
	if r == auth.ICTClinician && len(locs) == 0 {
		fmt.Fprintln(stderr, "carecoord token: an ICT clinician needs at least one --locality")
		return 2
	}
	if *name == "" {
		*name = "Demo " + strings.ReplaceAll(string(r), "_", " ")
	}
	if *subject == "" {
		*subject = strings.ToLower(strings.ReplaceAll(*name, " ", "-")) + "@" + string(r)
	}
	keyFile := signingKey
	if keyFile == "" {
		keyFile = filepath.Join(dataDir, "dev-signing-key")
	}
	key, err := auth.LoadOrCreateDevKey(keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "carecoord token: %v\n", err)
		return 1
	}
	tok, err := key.Issue(auth.Viewer{Subject: *subject, Name: *name, Role: r, Localities: locs, Organisation: *org}, *ttl)
	if err != nil {
		fmt.Fprintf(stderr, "carecoord token: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, tok)
	return 0
}

func rolesList() string {
	s := make([]string, len(auth.Roles))
	for i, r := range auth.Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
