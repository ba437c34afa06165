// Package buildinfo says which build of carecoord is running. Release builds
// set Version at link time:
//
//	go build -ldflags "-X carecoord/pkg/buildinfo.Version=v1.2.3" ./services/gateway/cmd/carecoord
//
// Otherwise it is taken from the Go build information (the module version, or
// the VCS revision the binary was built from), else "dev".
//
// It imports only the standard library.
package buildinfo

import "runtime/debug"

// Version is the running build's version. It is a plain string variable, not
// a constant, so that the linker's -X flag can set it.
var Version string

func init() {
	info, ok := debug.ReadBuildInfo()
	Version = resolve(Version, info, ok)
}

// resolve picks the most specific version available: the one set at link
// time, a real module version (go install module@version), the VCS revision
// (suffixed -dirty for a modified tree), else "dev".
func resolve(linked string, info *debug.BuildInfo, ok bool) string {
	if linked != "" {
		return linked
	}
	if !ok || info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	var dirty bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
