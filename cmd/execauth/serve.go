package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// serve runs the reference execution API until ctx ends (SIGINT or SIGTERM),
// then shuts down gracefully.
func (c *cli) serve(fs *flag.FlagSet) func(context.Context) error {
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `HOST:PORT`")
	key := addKeyFlags(fs, "signing key `FILE` (from keygen); its public half verifies tokens", false)
	keyDir := fs.String("keys", "", "key directory `DIR` shared by replicas (from keys init), instead of -key: its active key signs, all its keys verify")
	reload := fs.Duration("reload", jwks.DefaultReload, "how often to read the -keys directory again")
	iss := fs.String("iss", "", "issuer (iss) of accepted and minted tokens")
	aud := fs.String("aud", "", "audiences (aud), comma-separated")
	var trusted listFlag
	fs.Var(&trusted, "jwks", "JWK Set `FILE or URL` of other components' keys for the same issuer (repeat for several)")
	ttl := fs.Duration("ttl", 0, "lifetime of the execution tokens handed out; if zero, 10m")
	redisURL := fs.String("redis", "", "share revocations, first exchanges and tasks with other serve processes through Redis at `URL` (redis://HOST:PORT/DB)")
	compat := addCompatFlags(fs)
	return func(ctx context.Context) error {
		if err := noArgs(fs); err != nil {
			return err
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
		if *ttl < 0 || *ttl%time.Second != 0 {
			return usagef("-ttl must be whole seconds and not negative")
		}
		log := slog.New(slog.NewTextHandler(c.stderr, nil))
		stats := newCounters()
		keys, done, err := signingKeys(ctx, key, *keyDir, *reload, log, c.stderr, stats.hooks())
		if err != nil {
			return err
		}
		defer done()
		sk := keys.Active()
		cfg := serverConfig{
			keys: keys, issuer: *iss, audience: audience, trusted: trusted, log: log, ttl: token.Lifetimes{Execution: *ttl},
			missingScope: compat.missingScope, missingIss: compat.missingIss, stats: stats,
		}
		if *redisURL != "" {
			client, err := redisClient(*redisURL)
			if err != nil {
				return err
			}
			defer client.Close()
			cfg.redis = client
		}
		srv, err := newServer(ctx, cfg)
		if err != nil {
			return err
		}
		defer srv.Close()
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return err
		}
		log.Info("serving the reference execution API", "url", "http://"+ln.Addr().String(), "kid", sk.ID(), "alg", sk.Algorithm())
		return serveOn(ctx, ln, srv, log)
	}
}

// shutdownGrace bounds how long a shutdown waits for requests under way.
const shutdownGrace = 10 * time.Second

// serveOn serves h on ln until ctx ends, then shuts down gracefully. It
// returns nil after a shutdown that completed.
func serveOn(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err == nil {
		log.Info("shut down")
	}
	return err
}
