// Command talon runs Talon, the electronic queue of a public-service centre
// (МФЦ), and administers its data.
//
//	talon serve [--addr :8080] [--data ./talon-data] [--demo] [--secure-cookies] [--session-ttl 12h]
//	talon config export [--data DIR | --url URL --token T] [-o FILE]
//	talon config import FILE [--data DIR | --url URL --token T]
//	talon admin create --login L [--password P] [--name N] [--id ID] [--data DIR]
//	talon version
//
// Every flag can also be set through the environment as TALON_<NAME>, with
// dashes as underscores (TALON_DATA, TALON_SECURE_COOKIES); a flag on the
// command line wins over the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	_ "time/tzdata" // office time zones work on machines without zoneinfo
)

// exit codes
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(c.run(context.Background(), os.Args[1:]))
}

// cli is one invocation of the command: its standard streams and environment.
type cli struct {
	stdin  *os.File
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// usageError is a mistake on the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

const usage = `talon: the electronic queue of a public-service centre (МФЦ)

Usage:
  talon serve [--addr :8080] [--data ./talon-data] [--demo] [--secure-cookies] [--session-ttl 12h]
  talon config export [--data DIR | --url URL --token T] [-o FILE]
  talon config import FILE [--data DIR | --url URL --token T]
  talon admin create --login L [--password P] [--name N] [--data DIR]
  talon load [--url URL] [--credentials FILE] [--mode issue|cycle|boards] [--clients 64] [--duration 10s] [--boards 1000]
  talon agent --config agent.json [--server URL] [--office ID] [--token T | --token-file FILE]
  talon version

Every flag can also be set as TALON_<NAME> in the environment (TALON_DATA,
TALON_SECURE_COOKIES…); the command line wins. Run "talon COMMAND -h" for
the flags of a command.
`

// run dispatches the subcommand and returns the exit status.
func (c *cli) run(ctx context.Context, args []string) int {
	err := c.dispatch(ctx, args)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "talon: %s\n\n%s", ue.msg, usage)
		return exitUsage
	default:
		fmt.Fprintf(c.stderr, "talon: %s\n", err)
		return exitError
	}
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("no command")
	}
	cmd, rest := args[0], args[1:]
	sub := ""
	if len(rest) > 0 {
		sub = rest[0]
	}
	switch {
	case cmd == "serve":
		return c.serve(ctx, rest)
	case cmd == "config" && sub == "export":
		return c.configExport(ctx, rest[1:])
	case cmd == "config" && sub == "import":
		return c.configImport(ctx, rest[1:])
	case cmd == "load":
		return c.load(ctx, rest)
	case cmd == "agent":
		return c.agent(ctx, rest)
	case cmd == "admin" && sub == "create":
		return c.adminCreate(ctx, rest[1:])
	case cmd == "version" || cmd == "--version":
		fmt.Fprintf(c.stdout, "talon %s\n", version())
		return nil
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(c.stdout, usage)
		return nil
	case cmd == "config" || cmd == "admin":
		return usagef("unknown %s command %q", cmd, sub)
	}
	return usagef("unknown command %q", cmd)
}

// flagSet returns a flag set for a subcommand, printing its help on stderr.
func (c *cli) flagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: %s\n\nFlags (each also from TALON_<NAME>):\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// envName is the environment variable of a flag: TALON_ and the name in
// capitals with dashes as underscores.
func envName(flagName string) string {
	return "TALON_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse sets the flags of fs first from the environment, then from args, and
// returns the positional arguments (which may stand before, between or after
// the flags). One-letter flags are short forms and are not read from the
// environment.
func (c *cli) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || len(f.Name) == 1 {
			return
		}
		if v := c.getenv(envName(f.Name)); v != "" {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = usagef("%s=%q: %v", envName(f.Name), v, serr)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// isSet reports whether a flag was given, on the command line or in the
// environment.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// dataFlag adds the --data flag shared by the commands that open the store.
func dataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", "./talon-data", "data directory holding talon.db")
}

// openTimeout bounds the work of one-shot commands on the engine.
const openTimeout = time.Minute
