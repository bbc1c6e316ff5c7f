// Command worldval decides how far a trading strategy may go inside a world —
// backtest only, paper, or live candidate — and keeps an audit-grade,
// event-sourced record of why.
//
// Run "worldval help" for the list of commands and "worldval COMMAND --help"
// for the flags of one.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit statuses shared by every command.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and found a problem (a broken chain, a failed gate)
	exitUsage   = 2 // bad flags or bad input
)

// command is one sub-command of the binary.
type command struct {
	name     string // as typed, possibly two words ("audit verify")
	synopsis string // one line for the command list
	usage    string // argument summary after the name
	// setup declares the command's flags on fs and returns the function that
	// runs it with the remaining arguments.
	setup func(fs *flag.FlagSet, env *environment) func(ctx context.Context, args []string) error
}

// environment is what commands read and write instead of globals.
type environment struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// usageError marks an error caused by the caller's input: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a [usageError] with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// failureError marks a command that ran to the end and found a problem it
// reports (exit status 1); its message has already been printed when silent.
type failureError struct {
	msg    string
	silent bool
}

func (e failureError) Error() string { return e.msg }

func commands() []command {
	cmds := []command{
		versionCommand(),
		serveCommand(),
		auditVerifyCommand(),
		replayCommand(),
		metricsCommand(),
		evaluateCommand(),
		policyCheckCommand(),
		projectionsRebuildCommand(),
		policyDiffCommand(),
		reportCommand(),
		submitCommand(),
		policyPublishCommand(),
		policyDefaultCommand(),
		demoCommand(),
		benchIngestCommand(),
		checkInvariantsCommand(),
		dlqListCommand(),
		dlqReplayCommand(),
		benchKafkaCommand(),
	}
	cmds = append(cmds, publishCommands()...)
	cmds = append(cmds, auditHistoryCommands()...)
	cmds = append(cmds, hubCommands()...)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &environment{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// run dispatches args to a command and returns the process exit status.
func run(ctx context.Context, args []string, env *environment) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			return run(ctx, append(args[1:], "--help"), env)
		}
		printHelp(env.stdout, cmds)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, rest, ok := find(cmds, args)
	if !ok {
		fmt.Fprintf(env.stderr, "worldval: unknown command %q (run 'worldval help')\n", strings.Join(args[:min(2, len(args))], " "))
		return exitUsage
	}
	fs := flag.NewFlagSet("worldval "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	exec := cmd.setup(fs, env)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: worldval %s %s\n\n%s\n", cmd.name, cmd.usage, cmd.synopsis)
		if hasFlags(fs) {
			fmt.Fprintln(fs.Output(), "\nFlags:")
			fs.PrintDefaults()
		}
	}
	// The flag package prints the usage itself, on --help and after a
	// problem: keep it, then send it to stdout for help, and for a problem
	// only its first line (what was wrong) to stderr, with where to look.
	var parseOut bytes.Buffer
	fs.SetOutput(&parseOut)
	err := fs.Parse(rest)
	fs.SetOutput(env.stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, _ = env.stdout.Write(parseOut.Bytes())
			return exitOK
		}
		problem, _, _ := strings.Cut(parseOut.String(), "\n")
		fmt.Fprintf(env.stderr, "worldval %s: %s (see 'worldval %s --help')\n", cmd.name, problem, cmd.name)
		return exitUsage
	}
	err = exec(ctx, fs.Args())
	var ue usageError
	var fe failureError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.stderr, "worldval %s: %v\n", cmd.name, oneLine(err))
		return exitUsage
	case errors.As(err, &fe):
		if !fe.silent {
			fmt.Fprintf(env.stderr, "worldval %s: %v\n", cmd.name, oneLine(err))
		}
		return exitFailure
	case errors.Is(err, context.Canceled):
		return exitOK
	default:
		fmt.Fprintf(env.stderr, "worldval %s: %v\n", cmd.name, oneLine(err))
		return exitFailure
	}
}

// find matches the longest command name (one or two words) at the start of args.
func find(cmds []command, args []string) (command, []string, bool) {
	if len(args) >= 2 {
		for _, c := range cmds {
			if c.name == args[0]+" "+args[1] {
				return c, args[2:], true
			}
		}
	}
	for _, c := range cmds {
		if c.name == args[0] {
			return c, args[1:], true
		}
	}
	// "worldval audit" alone: show the sub-commands of the group.
	return command{}, nil, false
}

func printHelp(w io.Writer, cmds []command) {
	fmt.Fprint(w, `worldval — strategy validation with an audit-grade, event-sourced record.

Usage: worldval COMMAND [flags] [args]

Commands:
`)
	width := 0
	for _, c := range cmds {
		width = max(width, len(c.name))
	}
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.synopsis)
	}
	fmt.Fprint(w, "\nRun 'worldval COMMAND --help' for the flags of a command.\n")
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// oneLine keeps error output to one line, as scripts expect.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
