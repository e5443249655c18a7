package main

import (
	"context"
	"expvar"
	"fmt"
	"net/http"

	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/observe"
)

// counters are the reference server's decision counts, served with the
// standard expvar variables at GET /debug/vars under "execauth":
//
//	rejected.<reason>      refusals per reason code (every code present from the start)
//	admitted               requests authentication admitted
//	reissued               execution tokens reissued near expiry
//	exchanged              execution tokens handed out by the run exchange
//	jwks.fetch.ok          successful fetches of a trusted JWK Set URL
//	jwks.fetch.error       failed ones
//	revoked                tokens refused because they, or their task, were revoked
//	revocation.sync.ok     syncs of the revocation list with its store
//	revocation.sync.error  failed ones
//	keys.reload.applied    new states of the -keys directory put in use
//	keys.reload.refused    states of it refused (the last good one stays)
//
// The keys are an interface: keep them. Each server has its own map, not
// published in expvar's global registry, so that several servers can live
// in one process.
type counters struct {
	vars *expvar.Map
}

func newCounters() *counters {
	m := new(expvar.Map).Init()
	for _, reason := range middleware.Reasons() {
		m.Add("rejected."+reason, 0)
	}
	for _, k := range []string{"admitted", "reissued", "exchanged", "jwks.fetch.ok", "jwks.fetch.error", "revoked",
		"revocation.sync.ok", "revocation.sync.error", "keys.reload.applied", "keys.reload.refused"} {
		m.Add(k, 0)
	}
	return &counters{vars: m}
}

// hooks counts what the server's components report.
func (c *counters) hooks() *observe.Hooks {
	return &observe.Hooks{
		OnAuth: func(_ context.Context, e observe.Auth) {
			if e.Admitted {
				c.vars.Add("admitted", 1)
				return
			}
			c.vars.Add("rejected."+e.Reason, 1)
		},
		OnReissue: func(_ context.Context, e observe.Reissue) {
			switch {
			case e.Outcome != observe.Minted:
			case e.Kind == observe.KindExchange:
				c.vars.Add("exchanged", 1)
			default:
				c.vars.Add("reissued", 1)
			}
		},
		OnFetch: func(_ context.Context, e observe.Fetch) {
			if e.Err != nil {
				c.vars.Add("jwks.fetch.error", 1)
				return
			}
			c.vars.Add("jwks.fetch.ok", 1)
		},
		OnRevocation: func(_ context.Context, e observe.Revocation) {
			if e.Outcome == observe.Revoked {
				c.vars.Add("revoked", 1)
			}
		},
		OnRevocationSync: func(_ context.Context, e observe.RevocationSync) {
			if e.Err != nil {
				c.vars.Add("revocation.sync.error", 1)
				return
			}
			c.vars.Add("revocation.sync.ok", 1)
		},
		OnKeyReload: func(_ context.Context, e observe.KeyReload) {
			if e.Outcome == observe.Applied || e.Outcome == observe.Refused {
				c.vars.Add("keys.reload."+e.Outcome, 1)
			}
		},
	}
}

// ServeHTTP answers GET /debug/vars as expvar's own handler does (every
// published variable, such as cmdline and memstats), with this server's
// counters under "execauth".
func (c *counters) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, "{\n")
	expvar.Do(func(kv expvar.KeyValue) {
		if kv.Key != "execauth" {
			fmt.Fprintf(w, "%q: %s,\n", kv.Key, kv.Value)
		}
	})
	fmt.Fprintf(w, "%q: %s\n}\n", "execauth", c.vars)
}
