// Command backbeat is the Backbeat music streaming server.
//
//	backbeat serve [flags]     serve the API (every flag also reads BACKBEAT_<FLAG>)
//	backbeat migrate [flags]   create the Cassandra keyspace and apply migrations
//	backbeat admin grant|revoke USERNAME, backbeat admin list [flags]
//	                           who is admin, changed in the store by the operator
//	backbeat search reindex|status [flags]
//	                           the OpenSearch index of a Cassandra deployment
//	backbeat backup DIR, backbeat restore DIR [flags]
//	                           copy an embedded deployment's store and keys
//	                           while it serves; restore into an empty data dir
//	backbeat healthcheck [--addr] [--path /healthz]
//	                           exit 0 if the server answers 200 (HEALTHCHECK)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/demo"
	"github.com/backbeat/backbeat/server/store/cassandra"
)

func main() {
	env := environ{lookup: os.LookupEnv, stdout: os.Stdout, stderr: os.Stderr}
	if err := env.run(os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "backbeat:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitCode is 0 for an asked-for help text (-h), 1 for any failure.
func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

// environ is what the process is given besides its arguments, so tests can
// hand in their own.
type environ struct {
	lookup         func(string) (string, bool)
	stdout, stderr io.Writer
	// serve runs the configured server; nil means app.Run.
	serve func(ctx context.Context, cfg app.Config, ready func(net.Addr, string)) error
	// migrate migrates a keyspace; nil means cassandra.Migrate.
	migrate func(ctx context.Context, cfg cassandra.Config) error
}

const usage = `usage: backbeat <command> [flags]

commands:
  serve    serve the API (see 'backbeat serve -h')
  migrate  create the Cassandra keyspace and apply schema migrations (see 'backbeat migrate -h')
  admin    grant, revoke or list the admin role in the store (see 'backbeat admin -h')
  search   rebuild the search index or show its lag (see 'backbeat search -h')
  backup   copy the embedded store and signing keys, while serving, to a new directory (see 'backbeat backup -h')
  restore  restore a backup into an empty data directory (see 'backbeat restore -h')
  healthcheck  ask a running server's /healthz (the container's health check)
`

func (e environ) run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "serve":
		return e.serveCmd(args[1:])
	case "migrate":
		return e.migrateCmd(args[1:])
	case "admin":
		return e.adminCmd(args[1:])
	case "search":
		return e.searchCmd(args[1:])
	case "backup":
		return e.backupCmd(args[1:])
	case "restore":
		return e.restoreCmd(args[1:])
	case "healthcheck":
		return e.healthcheckCmd(args[1:])
	case "-h", "--help", "help":
		fmt.Fprint(e.stdout, usage)
		return nil
	default:
		fmt.Fprint(e.stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// parse parses args into fs, then applies BACKBEAT_<FLAG> for every flag
// not given on the command line through the flag's own Set, so the
// environment takes the same syntax as the flag (a boolean accepts 1, true,
// TRUE) and the command line wins.
func (e environ) parse(fs *flag.FlagSet, args []string) error {
	_, err := e.parseArgs(fs, args, 0)
	return err
}

// parseArgs is parse for a command that also takes up to maxArgs
// arguments, before or after its flags; it returns them.
func (e environ) parseArgs(fs *flag.FlagSet, args []string, maxArgs int) ([]string, error) {
	var positional []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") && len(positional) < maxArgs {
		positional, args = append(positional, args[0]), args[1:]
	}
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: backbeat %s [flags]\n\n"+
			"Every flag also reads the environment variable named beside it; the command line wins.\n\n", fs.Name())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	rest := fs.Args()
	for len(rest) > 0 && len(positional) < maxArgs {
		positional, rest = append(positional, rest[0]), rest[1:]
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%s: unexpected argument %q", fs.Name(), rest[0])
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name := app.EnvVar(f.Name)
		v, ok := e.lookup(name)
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q (flag --%s): %w", name, v, f.Name, err))
		}
	})
	return positional, errors.Join(errs...)
}

func (e environ) serveCmd(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg := app.Defaults()
	cfg.BindFlags(fs)
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg.Logger = cfg.NewLogger(e.stderr)
	if e.serve == nil {
		tuneGC(e.lookup, cfg.Logger)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	serve := e.serve
	if serve == nil {
		serve = app.Run
	}
	return serve(ctx, cfg, func(addr net.Addr, publicURL string) {
		// Tests and scripts wait for this line to learn the bound address.
		fmt.Fprintf(e.stdout, "backbeat: listening on %s\n", addr)
		if cfg.Demo {
			demo.PrintTryIt(e.stdout, addr.String(), cfg.TLSCert != "")
		}
	})
}
