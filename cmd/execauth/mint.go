package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// mint signs one token. With -out it provisions the token to a file the way
// a processor's FileSource expects (atomic, mode 0600); otherwise it prints
// it. -kid names the key id put in the header instead of the key's default;
// -airflow-kid puts the id Airflow derives for an RSA key.
func (c *cli) mint(fs *flag.FlagSet) func(context.Context) error {
	key := addKeyFlags(fs, "signing key `FILE` (from keygen)", true)
	keyDir := fs.String("keys", "", "key directory `DIR` (from keys init), instead of -key: sign with its active key")
	iss := fs.String("iss", "", "issuer (iss)")
	aud := fs.String("aud", "", "audience (aud), comma-separated for several")
	cls := fs.String("class", "", "token class: "+classNames())
	sub := fs.String("sub", "", "subject (sub): the task id (a UUID) or, for a processor, its name")
	ttl := fs.Duration("ttl", 0, "lifetime; if zero, the class default (workload 24h, execution 10m, processor 24h, parse 5m)")
	out := fs.String("out", "", "write the token to `FILE` (atomically, mode 0600) instead of stdout")
	return func(ctx context.Context) error {
		if err := noArgs(fs); err != nil {
			return err
		}
		if err := required(fs, "iss", "aud", "class", "sub"); err != nil {
			return err
		}
		if err := key.check(); err != nil {
			return err
		}
		class, err := class(*cls)
		if err != nil {
			return err
		}
		audience, err := audience(*aud)
		if err != nil {
			return err
		}
		if *ttl < 0 || *ttl%time.Second != 0 {
			return usagef("-ttl must be whole seconds and not negative")
		}
		if _, err := uuid.Parse(*sub); class.TaskSubject && (err != nil || len(*sub) != 36) {
			return usagef("-sub of a %s token must be a task id: a UUID in the 36-character form", class.Name)
		}
		sk, err := c.mintKey(ctx, key, *keyDir)
		if err != nil {
			return err
		}
		if *ttl > class.MaxLifetime {
			fmt.Fprintf(c.stderr, "execauth mint: warning: -ttl exceeds the %s default of %v, which verifiers accept by default\n",
				class.Name, class.MaxLifetime)
		}
		issuer, err := token.NewIssuer(token.IssuerConfig{Keys: sk, Issuer: *iss, Audience: audience, Classes: classes, Now: c.now})
		if err != nil {
			return err
		}
		claims := token.Claims{Subject: *sub, Scope: scope.Set{class.Name}}
		if *ttl > 0 {
			claims.IssuedAt = c.clock().Truncate(time.Second)
			claims.ExpiresAt = claims.IssuedAt.Add(*ttl)
		}
		raw, err := issuer.Mint(claims)
		if err != nil {
			return err
		}
		if *out != "" {
			return refresh.WriteTokenFile(*out, raw)
		}
		_, err = fmt.Fprintln(c.stdout, string(raw))
		return err
	}
}
