package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// testVersion is linked into the binary under test, so that tests can check
// what `carecoord version` and serverInfo report.
const testVersion = "v0.0.0-e2e"

// buildFlags are extra flags for building the binary; race_test.go adds
// -race when the tests run with it, so that the processes are checked too.
var buildFlags []string

// binary is the path of the carecoord binary that TestMain built.
var binary string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "carecoord-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "carecoord")

	args := append([]string{"build", "-o", binary,
		"-ldflags", "-X carecoord/pkg/buildinfo.Version=" + testVersion},
		buildFlags...)
	args = append(args, "carecoord/services/gateway/cmd/carecoord")
	build := exec.Command("go", args...)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building carecoord: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}
