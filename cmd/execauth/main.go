package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal during a graceful shutdown ends the process at once
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// exitCode maps run's error to the exit status: 2 for a bad command line,
// 1 for any other failure (a rejected token included).
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	return 1
}

// run runs the subcommand named by args[0]. It reports every error on stderr
// itself; the error it returns decides the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := &cli{stdin: os.Stdin, stdout: stdout, stderr: stderr}
	return c.run(ctx, args)
}

// cli holds the standard streams, so that tests can feed stdin, and the
// clock of mint and verify (nil: time.Now), so that tests can pin it.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
}

// clock returns the current time of mint and verify.
func (c *cli) clock() time.Time {
	if c.now == nil {
		return time.Now()
	}
	return c.now()
}

// command is one subcommand: its flags and what it does once they parsed.
type command struct {
	name, args, summary string
	flags               func(fs *flag.FlagSet) func(ctx context.Context) error
}

func (c *cli) commands() []command {
	return []command{
		{"keygen", "[-alg ALG] [-secret-text] [-airflow-kid] [-out FILE]", "make a signing key; print its kid", c.keygen},
		{"jwks", "-key FILE [-key FILE ...] [-airflow-kid] [-out FILE]", "print the public JWK Set of key files", c.jwks},
		{"mint", "(-key FILE [-kid KID|-airflow-kid] [-secret-text [-insecure-short-secret]] | -keys DIR) -iss ISS -aud AUD[,AUD] -class CLASS -sub SUB [-ttl D] [-out FILE]", "mint a token", c.mint},
		{"verify", "(-jwks FILE|URL | -key FILE [-kid KID|-airflow-kid] [-secret-text [-insecure-short-secret]]) -iss ISS -aud AUD[,AUD] [-class CLASS] [-accept-missing-scope] [-insecure-accept-missing-iss] [-redis URL] [TOKEN|-]", "verify a token; print its claims", c.verify},
		{"serve", "[-addr HOST:PORT] (-key FILE [-airflow-kid] [-secret-text [-insecure-short-secret]] | -keys DIR [-reload D]) -iss ISS -aud AUD[,AUD] [-jwks FILE|URL ...] [-ttl D] [-accept-missing-scope] [-insecure-accept-missing-iss] [-redis URL]", "run the reference execution API", c.serve},
		{"revoke", "-redis URL (-sub SUB | TOKEN|-)", "revoke a subject's tokens, or one token, on every serve process", c.revokeCmd},
		{"keys", "init|add|activate|remove|list -dir DIR [flags]", "manage a key directory shared by replicas", c.keys},
		{"demo", "", "run the whole token flow against an in-process server", c.demo},
	}
}

func (c *cli) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		c.usage()
		return usagef("no subcommand")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		c.usage()
		return nil
	}
	for _, cmd := range c.commands() {
		if cmd.name == args[0] {
			return c.runCommand(ctx, cmd, args[1:])
		}
	}
	fmt.Fprintf(c.stderr, "execauth: unknown subcommand %q\n", args[0])
	c.usage()
	return usagef("unknown subcommand")
}

// runCommand parses the flags of cmd and runs it. Flag errors and usage go to
// stderr; -h prints the usage and succeeds, as the flag package does.
func (c *cli) runCommand(ctx context.Context, cmd command, args []string) error {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "usage: execauth %s %s\n", cmd.name, cmd.args)
		fs.PrintDefaults()
	}
	do := cmd.flags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usagef("%s: %v", cmd.name, err) // the flag package printed it and the usage
	}
	err := do(ctx)
	if err == nil {
		return nil
	}
	fmt.Fprintf(c.stderr, "execauth %s: %v\n", cmd.name, err)
	if errors.Is(err, errUsage) {
		fs.Usage()
	}
	return err
}

func (c *cli) usage() {
	fmt.Fprintln(c.stderr, "usage: execauth <subcommand> [flags]")
	fmt.Fprintln(c.stderr)
	for _, cmd := range c.commands() {
		fmt.Fprintf(c.stderr, "  %-7s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintln(c.stderr)
	fmt.Fprintln(c.stderr, "Run execauth <subcommand> -h for its flags.")
}
