package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// verify checks one token with a token.Verifier, every rule on, and prints
// its claims. A rejected token prints only the failed rule and the
// verifier's message on stderr, never anything from the token.
func (c *cli) verify(fs *flag.FlagSet) func(context.Context) error {
	set := fs.String("jwks", "", "JWK Set `FILE or URL` (http:// or https://) of the issuer's public keys")
	key := addKeyFlags(fs, "key `FILE`: a public key, a private key (its public half is used) or an HMAC secret", true)
	iss := fs.String("iss", "", "accepted issuer (iss)")
	aud := fs.String("aud", "", "accepted audiences (aud), comma-separated")
	cls := fs.String("class", "", "require this token class: "+classNames())
	compat := addCompatFlags(fs)
	redisURL := fs.String("redis", "", "also refuse tokens revoked in the Redis of the serve processes, `redis://HOST:PORT/DB`")
	return func(ctx context.Context) error {
		switch {
		case fs.NArg() > 1:
			return usagef("more than one token argument")
		case (*set == "") == !key.set():
			return usagef("give exactly one of -jwks and -key")
		case key.kid != "" && !key.set():
			return usagef("-kid goes with -key")
		case (key.text || key.airflowKID) && !key.set():
			return usagef("-secret-text and -airflow-kid go with -key")
		}
		if err := key.check(); err != nil {
			return err
		}
		if err := required(fs, "iss", "aud"); err != nil {
			return err
		}
		audience, err := audience(*aud)
		if err != nil {
			return err
		}
		var want scope.Scope
		if *cls != "" {
			c, err := class(*cls)
			if err != nil {
				return err
			}
			want = c.Name
		}
		raw, err := c.readToken(fs.Arg(0))
		if err != nil {
			return err
		}
		cfg := token.VerifierConfig{Issuer: *iss, Audience: audience, Classes: classes, Now: c.now}
		compat.apply(&cfg)
		if key.set() {
			k, err := key.public(c.stderr)
			if err != nil {
				return err
			}
			if cfg.Keys, err = jwks.NewStatic(k); err != nil {
				return err
			}
			// The key's own alg, listed explicitly: HS* is never in the
			// default allow-list.
			cfg.Algorithms = []jwks.Algorithm{k.Algorithm()}
		} else {
			keys, done, err := c.keySet(ctx, *set)
			if err != nil {
				return err
			}
			defer done()
			cfg.Keys = keys
		}
		if *redisURL != "" {
			list, done, err := revocations(ctx, *redisURL)
			if err != nil {
				return err
			}
			defer done()
			cfg.Revocations = list
		}
		v, err := token.NewVerifier(cfg)
		if err != nil {
			return err
		}
		claims, err := v.Verify(ctx, raw)
		if err == nil && want != "" && claims.Class() != want {
			err = fmt.Errorf("%w than %s", errClass, want)
		}
		if err != nil {
			return reject(err)
		}
		out, err := json.MarshalIndent(claims, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.stdout, "%s\n", out)
		return err
	}
}

// maxTokenInput caps the token read from stdin; the verifier's own cap
// (8 KiB by default) rejects long tokens with a clear reason.
const maxTokenInput = 64 << 10

// readToken returns the token argument, or stdin when it is "" or "-",
// without surrounding whitespace.
func (c *cli) readToken(arg string) (string, error) {
	if arg != "" && arg != "-" {
		return strings.TrimSpace(arg), nil
	}
	data, err := readAll(c.stdin, maxTokenInput)
	if err != nil {
		return "", fmt.Errorf("stdin: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// keySet returns the keys of a JWK Set file or URL. A URL is fetched once
// through a jwks.Cache (failing if it cannot be fetched); done releases it.
// Keys a set holds that cannot be used are reported on stderr and skipped.
func (c *cli) keySet(ctx context.Context, src string) (keys jwks.Lookup, done func(), err error) {
	report := func(err error) { fmt.Fprintf(c.stderr, "execauth: JWK Set: %v\n", err) }
	if isURL(src) {
		log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		cache, err := jwks.NewCache(ctx, jwks.CacheConfig{URLs: []string{src}, Logger: log})
		if err != nil {
			return nil, nil, err
		}
		return cache, cache.Close, nil
	}
	list, err := readKeySet(src, report)
	if err != nil {
		return nil, nil, err
	}
	st, err := jwks.NewStatic(list...)
	if err != nil {
		return nil, nil, err
	}
	return st, func() {}, nil
}

// readKeySet reads the usable keys of a JWK Set file, reporting the others.
func readKeySet(path string, report func(error)) ([]jwks.Key, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	keys, skipped, err := jwks.ParseSet(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, e := range skipped {
		report(e)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: %w: no usable key", path, jwks.ErrUnsupportedKey)
	}
	return keys, nil
}

// isURL reports whether a -jwks value names an http(s) URL rather than a file.
func isURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}
