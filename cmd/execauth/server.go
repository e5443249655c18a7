package main

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/redisstore"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/revoke"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// serverConfig is what the reference execution API is built from.
type serverConfig struct {
	// key signs the execution tokens the server hands out; its public half
	// verifies tokens and is served as the JWK Set. Required unless keys is
	// set.
	key *jwks.SigningKey
	// keys replaces key with keys that change: a key directory (-keys). Its
	// active key signs; every key it holds verifies and is served.
	keys ownKeys
	// issuer is the iss of every accepted and minted token. Required.
	issuer string
	// audience lists the accepted aud values; minted tokens carry them too.
	// Required.
	audience []string
	// trusted are JWK Set files or http(s) URLs of keys that other
	// components mint with, for the same issuer name (Airflow's
	// trusted_jwks_url). Their tokens verify but are never reissued or
	// exchanged. If empty, only the server's own keys verify.
	trusted []string
	// ttl is the lifetime of minted tokens per class. Zero fields use the
	// defaults.
	ttl token.Lifetimes
	// missingScope accepts tokens without scope as execution tokens, and
	// missingIss tokens without iss, as Airflow mints them. If false, both
	// claims are required.
	missingScope, missingIss bool
	// now returns the current time. If nil, time.Now is used.
	now func() time.Time
	// log receives one line per request and every rejection, never a token.
	// If nil, nothing is logged.
	log *slog.Logger
	// redis, when set, holds the revocations, the first-exchange records and
	// the task table, shared with every serve process on the same Redis and
	// key. If nil, they live in this process.
	redis redis.UniversalClient
	// observe is called with the claims of every authenticated request that
	// reaches its handler: the demo's view of what the server received. If
	// nil, nothing is called.
	observe func(*token.Claims)
	// stats counts the server's decisions for GET /debug/vars; serve shares
	// it with the key directory it opens before the server. If nil, the
	// server counts on its own.
	stats *counters
}

// server is the reference execution API: an http.Handler plus the issuer
// that backs it, which the demo also uses as its scheduler.
type server struct {
	http.Handler
	issuer   *token.Issuer
	verifier *token.Verifier
	keys     *jwks.Cache // the trusted keys; nil without -jwks
	revoked  *revoke.List
}

// Close stops the background refresh of -jwks URLs and the revocation
// list's sync.
func (s *server) Close() {
	if s.keys != nil {
		s.keys.Close()
	}
	s.revoked.Close()
}

// sharedState returns where revocations, first exchanges and tasks live:
// Redis when client is set, else this process's memory. The revocation
// list has loaded every live entry when it returns.
func sharedState(ctx context.Context, client redis.UniversalClient, now func() time.Time, log *slog.Logger, hooks *observe.Hooks) (revoke.Store, *revoke.List, tasks, error) {
	var store revoke.Store = revoke.NewMemory(now)
	var table tasks = newMemoryTasks()
	if client != nil {
		rs, err := redisstore.New(redisstore.Config{Client: client, Now: now})
		if err != nil {
			return nil, nil, nil, err
		}
		store, table = rs, &redisTasks{client: client, prefix: redisstore.DefaultPrefix}
	}
	list, err := revoke.NewList(ctx, revoke.Config{Store: store, Logger: log, Now: now, Hooks: hooks})
	if err != nil {
		return nil, nil, nil, err
	}
	return store, list, table, nil
}

// newServer builds the reference execution API. A -jwks URL is fetched
// before it returns: a server that cannot get the keys it was told to trust
// fails to start rather than start answering 503. ctx bounds that fetch and
// the refreshes after it.
func newServer(ctx context.Context, cfg serverConfig) (*server, error) {
	own, err := cfg.ownKeys()
	if err != nil {
		return nil, err
	}
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	issuer, err := token.NewIssuer(token.IssuerConfig{
		Keys: own, Issuer: cfg.issuer, Audience: cfg.audience, TTL: cfg.ttl, Now: cfg.now, Classes: classes,
	})
	if err != nil {
		return nil, err
	}
	now := cfg.now
	if now == nil {
		now = time.Now
	}
	stats := cmp.Or(cfg.stats, newCounters())
	hooks := stats.hooks()
	store, list, table, err := sharedState(ctx, cfg.redis, now, cfg.log, hooks)
	if err != nil {
		return nil, err
	}
	a := &api{revoked: list, tasks: table, log: cfg.log, observe: cfg.observe, now: now}
	re, err := refresh.NewReissuer(refresh.ReissuerConfig{
		Issuer: issuer, Exchanges: store, Allow: a.allowReissue, Logger: cfg.log, Now: cfg.now, Hooks: hooks,
	})
	if err != nil {
		list.Close()
		return nil, err
	}
	a.reissuer = re
	// Only the server's own keys are published: an HMAC secret never is (the
	// set is then empty), and trusted keys are their owners' to publish.
	keys, verify, err := trust(ctx, own, cfg.trusted, cfg.log, cfg.now, hooks)
	if err != nil {
		list.Close()
		return nil, err
	}
	algs := jwks.DefaultAlgorithms()
	if alg := own.Active().Algorithm(); !slices.Contains(algs, alg) {
		algs = append(algs, alg) // an HMAC key must be listed explicitly
	}
	verifier, err := token.NewVerifier(token.VerifierConfig{
		Keys: verify, Issuer: cfg.issuer, Audience: cfg.audience, Algorithms: algs, Now: cfg.now, Classes: classes,
		AcceptMissingScope: cfg.missingScope, InsecureAcceptMissingIssuer: cfg.missingIss,
		Revocations: list, Hooks: hooks,
	})
	if err == nil {
		err = token.CheckLifetimes(issuer, verifier) // it must accept what it hands out
		a.verifier = verifier
	}
	if err != nil {
		if keys != nil {
			keys.Close()
		}
		list.Close()
		return nil, err
	}

	// Every authenticated route: authentication with the classes it accepts,
	// the subject check for task routes, then reissue near expiry around the
	// handler, so that only a response the handler chose gets a new token.
	// A route with a bound path value admits a token bound to a resource (a
	// parse token's bundle) only for that resource.
	route := func(classes []scope.Scope, self bool, h http.HandlerFunc, bound ...string) http.Handler {
		var next http.Handler = re.Middleware(a.seen(h))
		for _, name := range bound {
			next = middleware.RequireBinding(name, name)(next)
		}
		if self {
			next = middleware.RequireSubject("id")(next)
		}
		return middleware.Authenticate(middleware.Config{Verifier: verifier, Classes: classes, Logger: cfg.log, Hooks: hooks})(next)
	}
	readers := []scope.Scope{scope.Execution, scope.Processor, parseClass}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", health)
	mux.Handle("GET /.well-known/jwks.json", jwks.Handler(own, 0))
	mux.Handle("GET /debug/vars", stats)
	mux.Handle("PATCH /task-instances/{id}/run", route([]scope.Scope{scope.Workload, scope.Execution}, true, a.run))
	mux.Handle("PUT /task-instances/{id}/heartbeat", route([]scope.Scope{scope.Execution}, true, a.heartbeat))
	mux.Handle("PATCH /task-instances/{id}/state", route([]scope.Scope{scope.Execution}, true, a.state))
	mux.Handle("GET /connections/{conn_id}", route(readers, false, a.connection))
	mux.Handle("GET /bundles/{bundle}/variables/{key}", route(readers, false, a.variable, "bundle"))
	mux.Handle("POST /processor/parse-tokens", route([]scope.Scope{scope.Processor}, false, a.parseToken))
	return &server{Handler: logRequests(cfg.log, mux), issuer: issuer, verifier: verifier, keys: keys, revoked: list}, nil
}

func health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the status is sent; a failed write cannot be reported
}

// detail is the body of a refusal by the API itself (not by
// authentication), in Airflow's shape: {"detail": {"reason": ..., ...}}.
type detail struct {
	Reason        string `json:"reason"`
	Message       string `json:"message"`
	PreviousState string `json:"previous_state,omitempty"`
	CurrentState  string `json:"current_state,omitempty"`
}

func writeDetail(w http.ResponseWriter, status int, d detail) {
	writeJSON(w, status, map[string]detail{"detail": d})
}

// logRequests logs method, route pattern, status and duration of each
// request: never the path's values or a header.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "(no route)"
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", sw.status), slog.Duration("took", time.Since(start)))
	})
}

// statusWriter remembers the status a handler sent.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wrote && status >= 200 {
		w.status, w.wrote = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
