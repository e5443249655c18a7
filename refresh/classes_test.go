package refresh_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// airflowClasses are Airflow's Execution API scopes besides the built-ins,
// described as data: a callback starts an execution chain like a workload;
// the DAG processor's session, job and per-file parse tokens narrow.
func airflowClasses(t testing.TB) *token.Classes {
	t.Helper()
	classes, err := token.NewClasses(
		token.Class{Name: "callback", TaskSubject: true, TTL: 24 * time.Hour, ExchangedFor: scope.Execution},
		token.Class{Name: "dag_processor_session", TTL: 24 * time.Hour, Narrowable: true},
		token.Class{Name: "dag_processor", TTL: time.Hour, MaxLifetime: 2 * time.Hour, Narrowable: true},
		token.Class{Name: "dag_parse", TTL: 5 * time.Minute},
	)
	require.NoError(t, err)
	return classes
}

// classFixture is an issuer, a verifier and a reissuer that share classes.
type classFixture struct {
	key      *jwks.SigningKey
	clock    *authtest.Clock
	issuer   *token.Issuer
	verifier *token.Verifier
	re       *refresh.Reissuer
}

func newClassFixture(t testing.TB, classes *token.Classes) *classFixture {
	t.Helper()
	f := &classFixture{key: testkit.Key(t, jwks.ES256, ""), clock: authtest.NewClock(t0)}
	f.issuer, f.verifier = reuseKey(t, f, classes)
	var err error
	f.re, err = refresh.NewReissuer(refresh.ReissuerConfig{Issuer: f.issuer, Now: f.clock.Now})
	require.NoError(t, err)
	return f
}

// send sends raw through h and returns the response.
func send(h http.Handler, raw token.Raw) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+string(raw))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Every class, built-in or registered by the host, behaves as its
// description says in route policy, lifetimes, reissue, exchange and
// narrowing. The expectations are written out per class, not derived from
// the descriptions.
func TestClassesTable(t *testing.T) {
	t.Parallel()
	const (
		passThrough = "pass through" // Exchange returns nil without a header
		refused     = "refused"
	)
	task := uuid.NewString()
	tests := []struct {
		class       scope.Scope
		sub         string
		ttl, max    time.Duration
		taskSubject bool
		defaultOK   bool   // admitted by a route that lists no classes
		reissued    bool   // a token in its window gets a successor
		exchange    string // the class Exchange hands out, passThrough or refused
		narrowOK    bool   // Narrow accepts it as a source
	}{
		{class: scope.Workload, sub: task, ttl: 24 * time.Hour, max: 24 * time.Hour, taskSubject: true, exchange: string(scope.Execution)},
		{class: scope.Execution, sub: task, ttl: 10 * time.Minute, max: 10 * time.Minute, taskSubject: true, defaultOK: true, reissued: true, exchange: passThrough},
		{class: scope.Processor, sub: "dag-processor", ttl: 24 * time.Hour, max: 24 * time.Hour, exchange: refused, narrowOK: true},
		{class: "callback", sub: task, ttl: 24 * time.Hour, max: 24 * time.Hour, taskSubject: true, exchange: string(scope.Execution)},
		{class: "dag_processor_session", sub: "dag-processor", ttl: 24 * time.Hour, max: 24 * time.Hour, exchange: refused, narrowOK: true},
		{class: "dag_processor", sub: "dag-processor", ttl: time.Hour, max: 2 * time.Hour, exchange: refused, narrowOK: true},
		{class: "dag_parse", sub: "dag-processor", ttl: 5 * time.Minute, max: 5 * time.Minute, exchange: refused},
	}
	for _, tc := range tests {
		t.Run(string(tc.class), func(t *testing.T) {
			t.Parallel()
			f := newClassFixture(t, airflowClasses(t))
			ok := func(http.ResponseWriter, *http.Request) {}

			// Lifetimes: minted with the TTL; accepted up to the maximum.
			raw := mintWith(t, f.issuer, token.Claims{Subject: tc.sub, Scope: scope.Set{tc.class}})
			c, err := f.verifier.Verify(t.Context(), string(raw))
			require.NoError(t, err)
			assert.Equal(t, tc.class, c.Class())
			assert.Equal(t, tc.ttl, c.ExpiresAt.Sub(c.IssuedAt))
			longest := mintWith(t, f.issuer, token.Claims{Subject: tc.sub, Scope: scope.Set{tc.class}, IssuedAt: t0, ExpiresAt: t0.Add(tc.max)})
			_, err = f.verifier.Verify(t.Context(), string(longest))
			require.NoError(t, err)
			tooLong := mintWith(t, f.issuer, token.Claims{Subject: tc.sub, Scope: scope.Set{tc.class}, IssuedAt: t0, ExpiresAt: t0.Add(tc.max + time.Second)})
			_, err = f.verifier.Verify(t.Context(), string(tooLong))
			require.ErrorIs(t, err, token.ErrLifetime)

			// Subject rule.
			_, err = f.issuer.Mint(token.Claims{Subject: "dag-processor", Scope: scope.Set{tc.class}})
			if tc.taskSubject {
				require.ErrorIs(t, err, token.ErrNotMinted)
				_, err = c.TaskID()
				require.NoError(t, err)
			} else {
				require.NoError(t, err)
				_, err = c.TaskID()
				require.ErrorIs(t, err, token.ErrSubject)
			}

			// Route policy.
			byDefault := middleware.Authenticate(middleware.Config{Verifier: f.verifier})(http.HandlerFunc(ok))
			listed := middleware.Authenticate(middleware.Config{Verifier: f.verifier, Classes: []scope.Scope{tc.class}})(http.HandlerFunc(ok))
			other := scope.Scope("dag_parse")
			if tc.class == other {
				other = scope.Execution
			}
			unlisted := middleware.Authenticate(middleware.Config{Verifier: f.verifier, Classes: []scope.Scope{other}})(http.HandlerFunc(ok))
			wantDefault := http.StatusForbidden
			if tc.defaultOK {
				wantDefault = http.StatusOK
			}
			assert.Equal(t, wantDefault, send(byDefault, raw).Code, "a route that lists no classes")
			assert.Equal(t, http.StatusOK, send(listed, raw).Code, "a route that lists the class")
			assert.Equal(t, http.StatusForbidden, send(unlisted, raw).Code, "a route that lists another class")

			// Exchange at a run-like route.
			run := middleware.Authenticate(middleware.Config{Verifier: f.verifier, Classes: []scope.Scope{tc.class}})(
				http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if err := f.re.Exchange(w, r); err != nil {
						assert.ErrorIs(t, err, refresh.ErrNotExchangeable)
						w.WriteHeader(http.StatusForbidden)
					}
				}))
			rec := send(run, raw)
			switch tc.exchange {
			case refused:
				assert.Equal(t, http.StatusForbidden, rec.Code)
				assert.Empty(t, rec.Header().Get(refresh.DefaultHeader))
			case passThrough:
				assert.Equal(t, http.StatusOK, rec.Code)
				assert.Empty(t, rec.Header().Get(refresh.DefaultHeader))
			default:
				require.Equal(t, http.StatusOK, rec.Code)
				next, err := f.verifier.Verify(t.Context(), rec.Header().Get(refresh.DefaultHeader))
				require.NoError(t, err)
				assert.Equal(t, scope.Scope(tc.exchange), next.Class())
				assert.Equal(t, tc.sub, next.Subject)
				assert.Equal(t, t0, next.AuthTime, "the chain starts now")
			}

			// Narrowing exchange.
			_, err = f.issuer.Narrow(c, token.Grant{Class: "dag_parse"})
			if tc.narrowOK {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, token.ErrNarrowing)
			}

			// Reissue near expiry: 10 s before exp, inside every window.
			f.clock.Set(c.ExpiresAt.Add(-10 * time.Second))
			reissue := middleware.Authenticate(middleware.Config{Verifier: f.verifier, Classes: []scope.Scope{tc.class}})(f.re.Middleware(http.HandlerFunc(ok)))
			rec = send(reissue, raw)
			require.Equal(t, http.StatusOK, rec.Code)
			if !tc.reissued {
				assert.Empty(t, rec.Header().Get(refresh.DefaultHeader))
				return
			}
			next, err := f.verifier.Verify(t.Context(), rec.Header().Get(refresh.DefaultHeader))
			require.NoError(t, err)
			assert.Equal(t, tc.class, next.Class())
			assert.NotEqual(t, c.ID, next.ID)
		})
	}
}

// A scope value that names no class of the verifier stays a rejection: a
// host's class is unknown to a verifier with the built-ins only, and a token
// whose scope names two classes of the verifier is refused.
func TestUnknownClassRejected(t *testing.T) {
	t.Parallel()
	host := newClassFixture(t, airflowClasses(t))
	builtinIssuer, builtinVerifier := reuseKey(t, host, nil)

	parse := mintWith(t, host.issuer, token.Claims{Subject: "dag-processor", Scope: scope.Set{"dag_parse"}})
	_, err := builtinVerifier.Verify(t.Context(), string(parse))
	require.ErrorIs(t, err, token.ErrScope)
	require.ErrorIs(t, err, scope.ErrNoClass)

	// To the built-ins, dag_parse is a permission scope of a processor token.
	two := mintWith(t, builtinIssuer, token.Claims{Subject: "dag-processor", Scope: scope.Set{scope.Processor, "dag_parse"}})
	_, err = host.verifier.Verify(t.Context(), string(two))
	require.ErrorIs(t, err, token.ErrScope)
	require.ErrorIs(t, err, scope.ErrManyClasses)
}

// An issuer and a verifier that describe a class differently mint nothing
// from its tokens: no reissue, exchange or narrowing across the mismatch.
func TestClassesMustAgree(t *testing.T) {
	t.Parallel()
	f := newClassFixture(t, airflowClasses(t))
	other, err := token.NewClasses(
		token.Class{Name: "callback", TaskSubject: true, TTL: time.Hour, ExchangedFor: scope.Execution},
		token.Class{Name: "dag_processor_session", TTL: 24 * time.Hour, Narrowable: true},
		token.Class{Name: "dag_processor", TTL: time.Hour, MaxLifetime: 2 * time.Hour, Narrowable: true},
		token.Class{Name: "dag_parse", TTL: 5 * time.Minute},
	)
	require.NoError(t, err)
	issuer, _ := reuseKey(t, f, other)

	callback := f.verifyRaw(t, mintWith(t, f.issuer, token.Claims{Subject: uuid.NewString(), Scope: scope.Set{"callback"}}))
	_, err = issuer.Exchange(callback, time.Time{})
	require.ErrorIs(t, err, token.ErrNotMinted)
	_, err = f.issuer.Exchange(callback, time.Time{})
	require.NoError(t, err, "the issuer that agrees exchanges it")

	session := f.verifyRaw(t, mintWith(t, f.issuer, token.Claims{Subject: "dag-processor", Scope: scope.Set{"dag_processor_session"}}))
	_, err = issuer.Narrow(session, token.Grant{Class: "dag_parse"})
	require.NoError(t, err, "dag_processor_session is described alike")
}

func (f *classFixture) verifyRaw(t testing.TB, raw token.Raw) *token.Claims {
	t.Helper()
	c, err := f.verifier.Verify(t.Context(), string(raw))
	require.NoError(t, err)
	return c
}

// reuseKey returns an issuer and a verifier on f's key and clock with other
// classes.
func reuseKey(t testing.TB, f *classFixture, classes *token.Classes) (*token.Issuer, *token.Verifier) {
	t.Helper()
	iss, err := token.NewIssuer(token.IssuerConfig{
		Keys: f.key, Issuer: "iss", Audience: []string{"aud"}, Now: f.clock.Now, Classes: classes,
	})
	require.NoError(t, err)
	st, err := jwks.NewStatic(f.key.Public())
	require.NoError(t, err)
	v, err := token.NewVerifier(token.VerifierConfig{
		Keys: st, Issuer: "iss", Audience: []string{"aud"}, Now: f.clock.Now, Classes: classes,
	})
	require.NoError(t, err)
	return iss, v
}
