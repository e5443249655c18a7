package authtest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// published fetches the issuer's JWK Set and returns its keys.
func published(t *testing.T, iss *authtest.Issuer) []jwks.Key {
	t.Helper()
	resp, err := http.Get(iss.JWKSURL())
	if err != nil {
		t.Fatalf("GET JWK Set: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET JWK Set: status %d, %v", resp.StatusCode, err)
	}
	keys, skipped, err := jwks.ParseSet(body)
	if err != nil || len(skipped) > 0 {
		t.Fatalf("JWK Set: %v, skipped %v", err, skipped)
	}
	return keys
}

func kids(keys []jwks.Key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.ID()
	}
	return out
}

func TestRotate(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t)
	before := iss.Verifier(t) // built before the rotation: must learn the new key
	old := iss.Execution(t, task)
	oldKID := verify(t, before, string(old)).KeyID()

	iss.Rotate(t)
	fresh := iss.Execution(t, task)
	for name, v := range map[string]*token.Verifier{"verifier from before": before, "new verifier": iss.Verifier(t)} {
		t.Run(name, func(t *testing.T) {
			if got := verify(t, v, string(old)).KeyID(); got != oldKID {
				t.Errorf("old token verified by another key")
			}
			newKID := verify(t, v, string(fresh)).KeyID()
			if newKID == oldKID {
				t.Error("token after Rotate signed by the old key")
			}
			if !iss.TokenIssuer().Holds(newKID) || !iss.TokenIssuer().Holds(oldKID) {
				t.Error("issuer does not hold both keys")
			}
			// A forged signature now claims the new kid and still fails on the signature.
			reject(t, v, string(iss.Execution(t, task, authtest.BadSignature())), token.ErrSignature)
		})
	}
	if got := kids(published(t, iss)); len(got) != 2 || !slices.Contains(got, oldKID) {
		t.Errorf("published %d keys after Rotate, want the new and the old", len(got))
	}
}

// TestCleanupClosesServer checks that the JWK Set server answers during the
// test that made it and not after.
func TestCleanupClosesServer(t *testing.T) {
	t.Parallel()
	var url string
	t.Run("issuer", func(t *testing.T) {
		iss := authtest.NewIssuer(t)
		url = iss.JWKSURL()
		if len(published(t, iss)) != 1 {
			t.Error("want one published key")
		}
	})
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("JWK Set server still answers after the test: status %d", resp.StatusCode)
	}
}

func TestAlgorithms(t *testing.T) {
	t.Parallel()
	for _, alg := range []jwks.Algorithm{jwks.EdDSA, jwks.ES256, jwks.ES384, jwks.ES512, jwks.RS256, jwks.PS256} {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			iss := authtest.NewIssuer(t, authtest.WithAlgorithm(alg))
			tok := iss.Execution(t, task)
			header, err := base64.RawURLEncoding.DecodeString(string(tok[:strings.IndexByte(string(tok), '.')]))
			if err != nil {
				t.Fatalf("header: %v", err)
			}
			var h struct{ Alg string }
			if err := json.Unmarshal(header, &h); err != nil || jwks.Algorithm(h.Alg) != alg {
				t.Fatalf("header alg %q (%v), want %q", h.Alg, err, alg)
			}
			v := iss.Verifier(t)
			verify(t, v, string(tok))
			reject(t, v, string(iss.Execution(t, task, authtest.BadSignature())), token.ErrSignature)
			if keys := published(t, iss); len(keys) != 1 || keys[0].Algorithm() != alg {
				t.Errorf("published key not bound to %s", alg)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(start)
	iss := authtest.NewIssuer(t,
		authtest.WithClock(clock),
		authtest.WithIssuerName("scheduler"),
		authtest.WithAudience("execution-api", "dag-api"),
		authtest.WithTTL(token.Lifetimes{Execution: time.Hour, Processor: time.Minute}),
	)
	if iss.Clock() != clock {
		t.Fatal("Clock() is not the clock given")
	}
	v := iss.Verifier(t)

	c := verify(t, v, string(iss.Execution(t, task))) // an hour: longer than the default maximum
	switch {
	case c.Issuer != "scheduler":
		t.Errorf("iss = %q", c.Issuer)
	case !slices.Equal(c.Audience, []string{"execution-api", "dag-api"}):
		t.Errorf("aud = %q", c.Audience)
	case !c.IssuedAt.Equal(start) || !c.ExpiresAt.Equal(start.Add(time.Hour)):
		t.Errorf("iat, exp = %v, %v", c.IssuedAt, c.ExpiresAt)
	}
	// A shorter TTL changes what is minted, not the verifier's maximum.
	if c := verify(t, v, string(iss.Processor(t, "dag-processor"))); c.ExpiresAt.Sub(c.IssuedAt) != time.Minute {
		t.Errorf("processor lifetime %v, want 1m", c.ExpiresAt.Sub(c.IssuedAt))
	}
	verify(t, v, string(iss.Processor(t, "dag-processor", authtest.Lifetime(token.DefaultProcessorTTL))))
	reject(t, v, string(iss.Execution(t, task, authtest.Lifetime(time.Hour+time.Second))), token.ErrLifetime)
}

// TestClockDrivesVerification checks that moving the issuer's clock a day
// ahead expires tokens and leaves the verifier's keys usable: key freshness
// runs on real time, token time on the fake clock.
func TestClockDrivesVerification(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.WithClock(authtest.NewClock(start)))
	v := iss.Verifier(t)
	workload := iss.Workload(t, task)
	verify(t, v, string(workload))

	iss.Clock().Advance(token.DefaultWorkloadTTL + token.DefaultLeeway)
	reject(t, v, string(workload), token.ErrExpired)
	if c := verify(t, v, string(iss.Workload(t, task))); !c.IssuedAt.Equal(start.Add(token.DefaultWorkloadTTL + token.DefaultLeeway)) {
		t.Errorf("iat %v does not follow the clock", c.IssuedAt)
	}
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t)
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	execOnly := iss.Middleware(t)(ok)
	run := iss.Middleware(t, scope.Workload, scope.Execution)(ok)
	tests := []struct {
		name    string
		handler http.Handler
		token   string
		want    int
	}{
		{"execution", execOnly, string(iss.Execution(t, task)), http.StatusOK},
		{"workload on an execution route", execOnly, string(iss.Workload(t, task)), http.StatusForbidden},
		{"processor on an execution route", execOnly, string(iss.Processor(t, "dag-processor")), http.StatusForbidden},
		{"workload on the run route", run, string(iss.Workload(t, task)), http.StatusOK},
		{"expired", execOnly, string(iss.Execution(t, task, authtest.Expired())), http.StatusUnauthorized},
		{"unknown key", execOnly, string(iss.Execution(t, task, authtest.UnknownKey())), http.StatusUnauthorized},
		{"no token", execOnly, "", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			rec := httptest.NewRecorder()
			tc.handler.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d", rec.Code, tc.want)
			}
		})
	}
}

// TestTokenIssuerReissue checks that TokenIssuer and the clock plug into the
// host's reissue middleware: an execution token near its end gets a
// successor signed by the issuer's key.
func TestTokenIssuerReissue(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.WithClock(authtest.NewClock(start)))
	re, err := refresh.NewReissuer(refresh.ReissuerConfig{Issuer: iss.TokenIssuer(), Now: iss.Clock().Now})
	if err != nil {
		t.Fatalf("NewReissuer: %v", err)
	}
	h := iss.Middleware(t)(re.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})))
	tok := iss.Execution(t, task, authtest.AuthTime(start))

	iss.Clock().Advance(token.DefaultExecutionTTL - time.Minute) // inside the reissue window
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+string(tok))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	next := rec.Header().Get(refresh.DefaultHeader)
	if rec.Code != http.StatusOK || next == "" {
		t.Fatalf("status %d, reissued %t; want 200 with a new token", rec.Code, next != "")
	}
	v := iss.Verifier(t)
	old, c := verify(t, v, string(tok)), verify(t, v, next)
	switch {
	case c.Subject != task.String() || c.Class() != scope.Execution:
		t.Errorf("successor for %q of class %q", c.Subject, c.Class())
	case c.ID == old.ID || !c.ExpiresAt.After(old.ExpiresAt):
		t.Error("successor has the old jti or exp")
	case !c.AuthTime.Equal(start):
		t.Errorf("auth_time %v, want %v", c.AuthTime, start)
	}
}
