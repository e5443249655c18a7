package authtest_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

var task = uuid.MustParse("0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d")

// mintFunc mints one token of some class with overrides.
type mintFunc func(t testing.TB, iss *authtest.Issuer, o ...authtest.Override) string

var classes = []struct {
	class scope.Scope
	mint  mintFunc
}{
	{scope.Workload, func(t testing.TB, iss *authtest.Issuer, o ...authtest.Override) string {
		return string(iss.Workload(t, task, o...))
	}},
	{scope.Execution, func(t testing.TB, iss *authtest.Issuer, o ...authtest.Override) string {
		return string(iss.Execution(t, task, o...))
	}},
	{scope.Processor, func(t testing.TB, iss *authtest.Issuer, o ...authtest.Override) string {
		return string(iss.Processor(t, "dag-processor", o...))
	}},
}

// TestOverrideRejections checks that each override produces exactly the
// rejection it documents, for every class, at the default leeway and at the
// largest one a verifier accepts.
func TestOverrideRejections(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.WithClock(authtest.NewClock(start)))
	verifiers := map[string]*token.Verifier{
		"default leeway": iss.Verifier(t),
		"max leeway":     iss.Verifier(t, func(c *token.VerifierConfig) { c.Leeway = token.MaxLeeway }),
	}
	tests := []struct {
		name     string
		override authtest.Override
		want     error
	}{
		{"expired", authtest.Expired(), token.ErrExpired},
		{"not yet valid", authtest.NotYetValid(), token.ErrNotYetValid},
		{"wrong audience", authtest.Audience("another-api"), token.ErrAudience},
		{"wrong issuer", authtest.IssuerName("someone-else"), token.ErrIssuer},
		{"unknown key", authtest.UnknownKey(), token.ErrUnknownKey},
		{"bad signature", authtest.BadSignature(), token.ErrSignature},
		{"lifetime over the maximum", authtest.Lifetime(24*time.Hour + time.Second), token.ErrLifetime},
		{"lifetime zero", authtest.Lifetime(0), token.ErrLifetime},
	}
	for _, tc := range tests {
		for _, k := range classes {
			for vname, v := range verifiers {
				t.Run(tc.name+"/"+string(k.class)+"/"+vname, func(t *testing.T) {
					t.Parallel()
					reject(t, v, k.mint(t, iss, tc.override), tc.want)
				})
			}
		}
	}
}

func TestFactoriesWithoutOverrides(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.WithClock(authtest.NewClock(start)))
	v := iss.Verifier(t)
	for _, k := range classes {
		t.Run(string(k.class), func(t *testing.T) {
			t.Parallel()
			c := verify(t, v, k.mint(t, iss))
			wantSub := task.String()
			if k.class == scope.Processor {
				wantSub = "dag-processor"
			}
			switch {
			case c.Class() != k.class:
				t.Errorf("class = %q, want %q", c.Class(), k.class)
			case c.Subject != wantSub:
				t.Errorf("sub = %q, want %q", c.Subject, wantSub)
			case c.Issuer != authtest.DefaultIssuerName:
				t.Errorf("iss = %q", c.Issuer)
			case !slices.Equal(c.Audience, []string{authtest.DefaultAudience}):
				t.Errorf("aud = %q", c.Audience)
			case !c.IssuedAt.Equal(start) || !c.NotBefore.Equal(start):
				t.Errorf("iat, nbf = %v, %v, want %v", c.IssuedAt, c.NotBefore, start)
			case c.ExpiresAt.Sub(c.IssuedAt) != token.Lifetimes{}.For(k.class):
				t.Errorf("lifetime = %v", c.ExpiresAt.Sub(c.IssuedAt))
			case !c.AuthTime.IsZero():
				t.Errorf("auth_time = %v, want none", c.AuthTime)
			case !iss.TokenIssuer().Holds(c.KeyID()):
				t.Error("signed by a key the issuer does not hold")
			}
		})
	}
}

// TestOverrideValues checks the overrides that change a claim without
// making the token invalid.
func TestOverrideValues(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t, authtest.WithClock(authtest.NewClock(start)))
	v := iss.Verifier(t, func(c *token.VerifierConfig) { c.Audience = append(c.Audience, "other-api") })
	tests := []struct {
		name     string
		override []authtest.Override
		check    func(*token.Claims) bool
	}{
		{"lifetime", []authtest.Override{authtest.Lifetime(time.Minute)}, func(c *token.Claims) bool {
			return c.ExpiresAt.Equal(start.Add(time.Minute))
		}},
		{"auth_time", []authtest.Override{authtest.AuthTime(start.Add(-time.Hour))}, func(c *token.Claims) bool {
			return c.AuthTime.Equal(start.Add(-time.Hour))
		}},
		{"two audiences", []authtest.Override{authtest.Audience("x-api", "other-api")}, func(c *token.Claims) bool {
			return slices.Equal(c.Audience, []string{"x-api", "other-api"})
		}},
		{"scopes", []authtest.Override{authtest.Scopes("connections:read", "variables:read")}, func(c *token.Claims) bool {
			return c.Class() == scope.Execution && c.Scope.HasAll("connections:read", "variables:read")
		}},
		{"custom claim", []authtest.Override{authtest.Extra("team", json.RawMessage(`"ml"`))}, func(c *token.Claims) bool {
			team, ok := c.Extra("team")
			return ok && string(team) == `"ml"`
		}},
		{"claims edit runs after the times", []authtest.Override{
			authtest.Claims(func(c *token.Claims) { c.ExpiresAt = c.IssuedAt.Add(time.Second) }),
			authtest.Lifetime(time.Hour), // sets the lifetime the edit then overrides
		}, func(c *token.Claims) bool {
			return c.ExpiresAt.Equal(start.Add(time.Second))
		}},
		{"later override wins", []authtest.Override{authtest.Audience("x-api"), authtest.Audience("other-api")}, func(c *token.Claims) bool {
			return slices.Equal(c.Audience, []string{"other-api"})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if c := verify(t, v, string(iss.Execution(t, task, tc.override...))); !tc.check(c) {
				t.Errorf("claims do not show the override")
			}
		})
	}
}

// TestSetupErrorsFailTheTest checks that helpers fail the test, with a
// message, instead of returning a broken value.
func TestSetupErrorsFailTheTest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t testing.TB)
		want string
	}{
		{"HMAC algorithm", func(t testing.TB) { authtest.NewIssuer(t, authtest.WithAlgorithm("HS256")) }, "authtest: NewIssuer: "},
		{"none algorithm", func(t testing.TB) { authtest.NewIssuer(t, authtest.WithAlgorithm("none")) }, "authtest: NewIssuer: "},
		{"empty issuer name", func(t testing.TB) { authtest.NewIssuer(t, authtest.WithIssuerName("")) }, "authtest: NewIssuer: "},
		{"invalid verifier edit", func(t testing.TB) {
			authtest.NewIssuer(t).Verifier(t, func(c *token.VerifierConfig) { c.Leeway = time.Hour })
		}, "authtest: Verifier: "},
		{"verifier edit below the issuer's lifetime", func(t testing.TB) {
			authtest.NewIssuer(t).Verifier(t, func(c *token.VerifierConfig) { c.MaxLifetime.Execution = 5 * time.Minute })
		}, "authtest: Verifier: token: invalid configuration: the issuer's execution lifetime 10m0s exceeds"},
		{"subject not a task id", func(t testing.TB) {
			authtest.NewIssuer(t).Execution(t, task, authtest.Claims(func(c *token.Claims) { c.Subject = "task-1" }))
		}, "authtest: mint execution token: "},
		{"a class the issuer does not know", func(t testing.TB) {
			authtest.NewIssuer(t).Mint(t, "dag_parse", "dag-processor")
		}, "authtest: mint dag_parse token: "},
		{"a registered class's sub rule", func(t testing.TB) {
			classes, err := token.NewClasses(token.Class{Name: "callback", TaskSubject: true, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			authtest.NewIssuer(t, authtest.WithClasses(classes)).Mint(t, "callback", "not-a-task")
		}, "authtest: mint callback token: "},
		{"two classes", func(t testing.TB) {
			authtest.NewIssuer(t).Workload(t, task, authtest.Scopes(scope.Execution))
		}, "authtest: mint workload token: "},
		{"registered name in Extra", func(t testing.TB) {
			authtest.NewIssuer(t).Processor(t, "p", authtest.Extra("Exp", json.RawMessage(`1`)))
		}, "authtest: mint processor token: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			msg := runTest(tc.run)
			if !strings.HasPrefix(msg, tc.want) {
				t.Errorf("failed with %q, want a message starting %q", msg, tc.want)
			}
		})
	}
}
