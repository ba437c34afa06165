// Command carecoord is the one carecoord binary: `carecoord serve` runs the
// gateway and the services it hosts. main only reads arguments and the
// environment and hands over to internal/app, which does the wiring.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"go.uber.org/zap"

	"carecoord/pkg/buildinfo"
	"carecoord/pkg/logging"
	"carecoord/services/gateway/internal/app"
	"carecoord/services/gateway/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, restore the default so that a second one kills
	// a shutdown that hangs.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

const usage = `carecoord coordinates community care: referrals, caseloads, community
hospital beds and falls response, for integrated care teams.

Usage:
  carecoord serve [flags]   run the server (see carecoord help serve)
  carecoord seed [flags]    load demo data for the 23 localities (same flags as serve)
  carecoord token [flags]   issue a development token (--role, --locality, --name)
  carecoord cluster ...     a raft cluster's members: status, join, remove, transfer-leadership
  carecoord version         print the version
  carecoord help [command]  show this help, or a command's
`

// run executes one command and returns the process exit status: 0 on
// success, 1 when the command fails, 2 when it was called wrongly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr, lookupEnv)
	case "seed":
		return seed(ctx, rest, stdout, stderr, lookupEnv)
	case "token":
		return token(rest, stdout, stderr, lookupEnv)
	case "cluster":
		return cluster(ctx, rest, stdout, stderr, lookupEnv)
	case "version":
		if len(rest) > 0 {
			fmt.Fprintf(stderr, "carecoord version: unexpected arguments %q\n", rest)
			return 2
		}
		fmt.Fprintln(stdout, buildinfo.Version)
		return 0
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] == "serve" {
			config.PrintUsage(stdout)
			return 0
		}
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "carecoord: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	return withConfig("serve", args, stdout, stderr, lookupEnv, func(cfg config.Config, logger *zap.Logger) error {
		if _, set := lookupEnv("GOGC"); cfg.GCPercent > 0 && !set {
			debug.SetGCPercent(cfg.GCPercent)
		}
		return app.Run(ctx, cfg, stdout, logger)
	})
}

// seed loads demo data through the real commands and exits.
func seed(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	return withConfig("seed", args, stdout, stderr, lookupEnv, func(cfg config.Config, logger *zap.Logger) error {
		err := app.Seed(ctx, cfg, stdout, logger)
		if err != nil {
			logger.Error("seeding failed", zap.Error(err))
		}
		return err
	})
}

// withConfig parses the shared settings, builds the logger and runs fn.
func withConfig(name string, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool), fn func(config.Config, *zap.Logger) error) int {
	cfg, err := config.Parse(args, lookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		config.PrintUsage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "carecoord %s: %v\n\n", name, err)
		config.PrintUsage(stderr)
		return 2
	}
	logger, err := logging.New(cfg.Dev, cfg.LogLevel)
	if err != nil {
		fmt.Fprintf(stderr, "carecoord %s: %v\n", name, err)
		return 2
	}
	defer func() { _ = logger.Sync() }() // stderr cannot always be synced
	if err := fn(cfg, logger); err != nil {
		// It has logged why, as it happened.
		return 1
	}
	return 0
}
