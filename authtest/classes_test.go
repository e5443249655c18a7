package authtest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// dagParse is Airflow's per-file parse class as a host registers it: a
// principal subject, five minutes, accepted up to ten.
const dagParse scope.Scope = "dag_parse"

func airflowClasses(t *testing.T) *token.Classes {
	t.Helper()
	classes, err := token.NewClasses(token.Class{Name: dagParse, TTL: 5 * time.Minute, MaxLifetime: 10 * time.Minute})
	if err != nil {
		t.Fatalf("NewClasses: %v", err)
	}
	return classes
}

// TestWithClasses: a host's tests mint tokens of a class it registered and
// send them through the middleware of a route that names the class, which
// admits them; the class's own rules (lifetimes, routes) hold.
func TestWithClasses(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(start)
	iss := authtest.NewIssuer(t, authtest.WithClock(clock), authtest.WithClasses(airflowClasses(t)))
	// The handler answers with the class of the claims it was given.
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, found := token.FromContext(r.Context())
		if !found {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		_, _ = w.Write([]byte(c.Class()))
	})
	parse := iss.Middleware(t, dagParse)(ok)
	execOnly := iss.Middleware(t)(ok)
	tests := []struct {
		name    string
		handler http.Handler
		token   token.Raw
		want    int
		class   scope.Scope // the class the handler sees, when admitted
	}{
		{"dag_parse on its route", parse, iss.Mint(t, dagParse, "dag-processor"), http.StatusOK, dagParse},
		{"up to its MaxLifetime", parse, iss.Mint(t, dagParse, "dag-processor", authtest.Lifetime(10*time.Minute)), http.StatusOK, dagParse},
		{"with a permission scope", parse, iss.Mint(t, dagParse, "dag-processor", authtest.Scopes("bundle:read")), http.StatusOK, dagParse},
		{"past its MaxLifetime", parse, iss.Mint(t, dagParse, "dag-processor", authtest.Lifetime(10*time.Minute+time.Second)), http.StatusUnauthorized, ""},
		{"expired", parse, iss.Mint(t, dagParse, "dag-processor", authtest.Expired()), http.StatusUnauthorized, ""},
		{"unknown key", parse, iss.Mint(t, dagParse, "dag-processor", authtest.UnknownKey()), http.StatusUnauthorized, ""},
		{"dag_parse on an execution route", execOnly, iss.Mint(t, dagParse, "dag-processor"), http.StatusForbidden, ""},
		{"execution on the dag_parse route", parse, iss.Execution(t, task), http.StatusForbidden, ""},
		{"a built-in through Mint", execOnly, iss.Mint(t, scope.Execution, task.String()), http.StatusOK, scope.Execution},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Authorization", "Bearer "+string(tc.token))
			rec := httptest.NewRecorder()
			tc.handler.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d", rec.Code, tc.want)
			}
			if rec.Code == http.StatusOK && rec.Body.String() != string(tc.class) {
				t.Errorf("handler saw class %q, want %q", rec.Body.String(), tc.class)
			}
		})
	}
}

// TestWithClassesVerifier: tokens of a registered class are minted with its
// TTL, verify up to its MaxLifetime and keep verifying across a rotation.
func TestWithClassesVerifier(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(start)
	iss := authtest.NewIssuer(t, authtest.WithClock(clock), authtest.WithClasses(airflowClasses(t)))

	// Minted with the class's TTL, and its class and subject read back.
	c := verify(t, iss.Verifier(t), string(iss.Mint(t, dagParse, "dag-processor")))
	if c.Class() != dagParse || c.Subject != "dag-processor" || c.ExpiresAt.Sub(c.IssuedAt) != 5*time.Minute {
		t.Errorf("minted class %q, sub %q, lifetime %v; want dag_parse, dag-processor, 5m", c.Class(), c.Subject, c.ExpiresAt.Sub(c.IssuedAt))
	}
	// After a rotation the old key keeps verifying it for its whole lifetime.
	old := iss.Mint(t, dagParse, "dag-processor", authtest.Lifetime(10*time.Minute))
	iss.Rotate(t)
	clock.Advance(9 * time.Minute)
	verify(t, iss.Verifier(t), string(old))
}

// TestWithClassesLongLived: a registered class that lives longer than every
// built-in keeps its tokens verifying across a rotation: the keyring's
// retired keys outlive it.
func TestWithClassesLongLived(t *testing.T) {
	t.Parallel()
	classes, err := token.NewClasses(token.Class{Name: "dag_processor_session", TTL: 48 * time.Hour})
	if err != nil {
		t.Fatalf("NewClasses: %v", err)
	}
	clock := authtest.NewClock(start)
	iss := authtest.NewIssuer(t, authtest.WithClock(clock), authtest.WithClasses(classes))
	session := iss.Mint(t, "dag_processor_session", "dag-processor")
	iss.Rotate(t)
	clock.Advance(47 * time.Hour)
	verify(t, iss.Verifier(t), string(session))
	clock.Advance(time.Hour + token.DefaultLeeway + time.Second) // past exp, the old key still published
	reject(t, iss.Verifier(t), string(session), token.ErrExpired)
}
