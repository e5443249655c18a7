package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/execauth/execauth/jwks"
)

// keysAlgs are the algorithms of keys a key directory is given here. EdDSA
// is the default of init; add defaults to the active key's algorithm.
var keysAlgs = []jwks.Algorithm{jwks.EdDSA, jwks.ES256, jwks.ES384, jwks.RS256}

// keysCommands are the subcommands of keys.
func (c *cli) keysCommands() []command {
	return []command{
		{"init", "-dir DIR [-alg ALG]", "make a key directory with one active key; print its kid", c.keysInit},
		{"add", "-dir DIR [-alg ALG]", "add a published key (verifies, does not sign yet); print its kid", c.keysAdd},
		{"activate", "-dir DIR -kid KID [-retire-after D]", "make KID sign; the active key retires", c.keysActivate},
		{"remove", "-dir DIR -kid KID", "remove a key: its tokens are refused from then on", c.keysRemove},
		{"list", "-dir DIR", "list the keys: kid, alg, state, since, retires-at", c.keysList},
	}
}

// keys runs a subcommand of keys. Errors are reported once, by runCommand,
// with the usage of the subcommand at fault.
func (c *cli) keys(fs *flag.FlagSet) func(context.Context) error {
	subs := c.keysCommands()
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: execauth keys <subcommand> -dir DIR [flags]")
		fmt.Fprintln(c.stderr)
		for _, s := range subs {
			fmt.Fprintf(c.stderr, "  %-8s %s\n", s.name, s.summary)
		}
	}
	return func(ctx context.Context) error {
		args := fs.Args()
		if len(args) == 0 {
			return usagef("keys needs a subcommand")
		}
		i := slices.IndexFunc(subs, func(s command) bool { return s.name == args[0] })
		if i < 0 {
			return usagef("unknown keys subcommand %q", args[0])
		}
		sub := subs[i]
		sfs := flag.NewFlagSet("keys "+sub.name, flag.ContinueOnError)
		sfs.SetOutput(io.Discard) // runCommand reports the error
		usage := func() {
			fmt.Fprintf(c.stderr, "usage: execauth keys %s %s\n", sub.name, sub.args)
			sfs.SetOutput(c.stderr)
			sfs.PrintDefaults()
		}
		do := sub.flags(sfs)
		err := sfs.Parse(args[1:])
		switch {
		case errors.Is(err, flag.ErrHelp):
			usage()
			return nil
		case err != nil:
			err = usagef("%s: %v", sub.name, err)
		case sfs.NArg() > 0:
			err = usagef("%s: unexpected argument after the flags", sub.name)
		default:
			err = do(ctx)
		}
		if errors.Is(err, errUsage) {
			fs.Usage = usage
		}
		return err
	}
}

func (c *cli) keysInit(fs *flag.FlagSet) func(context.Context) error {
	dir := fs.String("dir", "", "key directory `DIR` to make (created if missing)")
	alg := fs.String("alg", string(jwks.EdDSA), "algorithm: EdDSA, ES256, ES384 or RS256")
	return func(ctx context.Context) error {
		if err := required(fs, "dir"); err != nil {
			return err
		}
		key, err := generate(*alg)
		if err != nil {
			return err
		}
		d, err := jwks.InitDir(ctx, c.dirConfig(*dir, 0), key)
		if err != nil {
			return err
		}
		d.Close()
		_, err = fmt.Fprintln(c.stdout, key.ID())
		return err
	}
}

func (c *cli) keysAdd(fs *flag.FlagSet) func(context.Context) error {
	dir := fs.String("dir", "", "key directory `DIR`")
	alg := fs.String("alg", "", "algorithm: EdDSA, ES256, ES384 or RS256; if empty, the active key's")
	return func(ctx context.Context) error {
		return c.withDir(ctx, fs, *dir, 0, func(d *jwks.Dir) error {
			a := *alg
			if a == "" {
				a = string(d.Active().Algorithm())
			}
			key, err := generate(a)
			if err != nil {
				return err
			}
			if err := d.Publish(ctx, key); err != nil {
				return err
			}
			_, err = fmt.Fprintln(c.stdout, key.ID())
			return err
		})
	}
}

func (c *cli) keysActivate(fs *flag.FlagSet) func(context.Context) error {
	dir := fs.String("dir", "", "key directory `DIR`")
	kid := fs.String("kid", "", "the published key to activate")
	retire := fs.Duration("retire-after", jwks.DefaultRetireAfter,
		"how long the replaced key keeps verifying: at least the longest token lifetime + the verifiers' leeway + the replicas' -reload")
	return func(ctx context.Context) error {
		if err := required(fs, "kid"); err != nil {
			return err
		}
		if *retire <= 0 {
			return usagef("-retire-after must be positive")
		}
		return c.withDir(ctx, fs, *dir, *retire, func(d *jwks.Dir) error {
			old := d.Active().ID()
			if err := d.Activate(ctx, *kid); err != nil {
				return err
			}
			for _, k := range d.Keys() {
				if k.ID == old && old != *kid {
					fmt.Fprintf(c.stdout, "%s signs; %s retires at %s\n", *kid, old, k.RetiresAt.Format(time.RFC3339))
				}
			}
			return nil
		})
	}
}

func (c *cli) keysRemove(fs *flag.FlagSet) func(context.Context) error {
	dir := fs.String("dir", "", "key directory `DIR`")
	kid := fs.String("kid", "", "the key to remove")
	return func(ctx context.Context) error {
		if err := required(fs, "kid"); err != nil {
			return err
		}
		return c.withDir(ctx, fs, *dir, 0, func(d *jwks.Dir) error {
			var was jwks.DirKey
			for _, k := range d.Keys() {
				if k.ID == *kid {
					was = k
				}
			}
			if err := d.Remove(ctx, *kid); err != nil {
				return err
			}
			switch was.State {
			case jwks.StateRetiring:
				fmt.Fprintf(c.stderr, "execauth keys remove: %s was to verify until %s: its tokens are refused from now on\n",
					*kid, was.RetiresAt.Format(time.RFC3339))
			case jwks.StatePublished:
				fmt.Fprintf(c.stderr, "execauth keys remove: %s was published: tokens it signed elsewhere are refused from now on\n", *kid)
			}
			return nil
		})
	}
}

func (c *cli) keysList(fs *flag.FlagSet) func(context.Context) error {
	dir := fs.String("dir", "", "key directory `DIR`")
	return func(ctx context.Context) error {
		return c.withDir(ctx, fs, *dir, 0, func(d *jwks.Dir) error {
			w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "KID\tALG\tSTATE\tSINCE\tRETIRES-AT")
			for _, k := range d.Keys() {
				retires := "-"
				if !k.RetiresAt.IsZero() {
					retires = k.RetiresAt.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Algorithm, k.State, k.Since.Format(time.RFC3339), retires)
			}
			return w.Flush()
		})
	}
}

// withDir opens the key directory of -dir without polling, runs f, and
// closes it.
func (c *cli) withDir(ctx context.Context, fs *flag.FlagSet, path string, retireAfter time.Duration, f func(*jwks.Dir) error) error {
	if err := required(fs, "dir"); err != nil {
		return err
	}
	d, err := jwks.OpenDir(ctx, c.dirConfig(path, retireAfter))
	if err != nil {
		return err
	}
	defer d.Close()
	return f(d)
}

// dirConfig opens path without polling: a command reads it once.
func (c *cli) dirConfig(path string, retireAfter time.Duration) jwks.DirConfig {
	return jwks.DirConfig{
		Path: path, Reload: -1, RetireAfter: retireAfter,
		Logger: slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

// generate makes a key of one of keysAlgs.
func generate(alg string) (*jwks.SigningKey, error) {
	if !slices.Contains(keysAlgs, jwks.Algorithm(alg)) {
		return nil, usagef("-alg must be one of %v", keysAlgs)
	}
	return jwks.Generate(jwks.Algorithm(alg))
}
