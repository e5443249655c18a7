package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/execauth/execauth/redisstore"
	"github.com/execauth/execauth/revoke"
)

// revokeCmd revokes, in the Redis that serve -redis shares, a subject as of
// now (every token of it issued until this second) or one token (its jti,
// until its exp). The token's signature is not checked: revoking is safe
// whoever made the token, and the operator may not hold the keys.
func (c *cli) revokeCmd(fs *flag.FlagSet) func(context.Context) error {
	redisURL := fs.String("redis", "", "the Redis of the serve processes, `redis://HOST:PORT/DB`")
	sub := fs.String("sub", "", "revoke every token of `SUB` issued until now")
	return func(ctx context.Context) error {
		if err := required(fs, "redis"); err != nil {
			return err
		}
		if fs.NArg() > 1 || (*sub != "" && fs.NArg() > 0) {
			return usagef("give -sub SUB or one TOKEN (or - for stdin), not both")
		}
		client, err := redisClient(*redisURL)
		if err != nil {
			return err
		}
		defer client.Close()
		store, err := redisstore.New(redisstore.Config{Client: client})
		if err != nil {
			return err
		}
		now := time.Now()
		if *sub != "" {
			e := revoke.Entry{Subject: *sub, Cutoff: now, Until: now.Add(revoke.DefaultMaxLifetime + revoke.ExpiryMargin)}
			if err := store.Revoke(ctx, e); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "revoked every token of the subject issued until %s\n", now.UTC().Format(time.RFC3339))
			return nil
		}
		raw, err := c.readToken(fs.Arg(0))
		if err != nil {
			return err
		}
		jti, exp, err := tokenID(raw)
		if err != nil {
			return err
		}
		if !exp.Add(revoke.ExpiryMargin).After(now) {
			fmt.Fprintln(c.stdout, "the token expired: no verifier accepts it, nothing to revoke")
			return nil
		}
		if err := store.Revoke(ctx, revoke.Entry{JTI: jti, Until: exp.Add(revoke.ExpiryMargin)}); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "revoked the token until %s\n", exp.UTC().Format(time.RFC3339))
		return nil
	}
}

// tokenID reads jti and exp from a compact JWS without verifying it.
func tokenID(raw string) (string, time.Time, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", time.Time{}, usagef("not a compact JWS token")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		JTI string `json:"jti"`
		Exp int64  `json:"exp"`
	}
	if err != nil || json.Unmarshal(payload, &claims) != nil || claims.JTI == "" || claims.Exp <= 0 {
		return "", time.Time{}, usagef("the token has no jti and exp to revoke it by; revoke its subject with -sub")
	}
	return claims.JTI, time.Unix(claims.Exp, 0), nil
}

// redisClient connects to a redis:// or rediss:// URL. Dials, reads and
// writes give up after a second and are retried once, so that a request
// meets a Redis outage with a quick 503.
func redisClient(u string) (*redis.Client, error) {
	opt, err := redis.ParseURL(u)
	if err != nil {
		return nil, usagef("-redis: %v", err)
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.MaxRetries = time.Second, time.Second, time.Second, 1
	return redis.NewClient(opt), nil
}

// revocations loads every live revocation from the Redis at u, for one
// verification; done releases it.
func revocations(ctx context.Context, u string) (*revoke.List, func(), error) {
	client, err := redisClient(u)
	if err != nil {
		return nil, nil, err
	}
	store, err := redisstore.New(redisstore.Config{Client: client})
	if err == nil {
		var list *revoke.List
		if list, err = revoke.NewList(ctx, revoke.Config{Store: store, Logger: slog.New(slog.DiscardHandler)}); err == nil {
			return list, func() { list.Close(); _ = client.Close() }, nil
		}
	}
	_ = client.Close()
	return nil, nil, err
}
