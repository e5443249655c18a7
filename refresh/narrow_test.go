package refresh_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

func TestReissuerNarrow(t *testing.T) {
	t.Parallel()
	f := newClassFixture(t, airflowClasses(t))
	session := f.verifyRaw(t, mintWith(t, f.issuer, token.Claims{Subject: "dag-processor", Scope: scope.Set{"dag_processor_session"}}))
	parse := f.verifyRaw(t, mintWith(t, f.issuer, token.Claims{Subject: "dag-processor", Scope: scope.Set{"dag_parse"}}))
	req := func(c *token.Claims) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		if c != nil {
			r = r.WithContext(token.NewContext(r.Context(), c))
		}
		return r
	}
	bound := token.Grant{Class: "dag_parse", Claims: map[string]json.RawMessage{"file": json.RawMessage(`"a.py"`)}}

	raw, err := f.re.Narrow(req(session), bound)
	require.NoError(t, err)
	c := f.verifyRaw(t, raw)
	assert.Equal(t, scope.Scope("dag_parse"), c.Class())
	file, ok := c.Extra("file")
	assert.True(t, ok)
	assert.Equal(t, json.RawMessage(`"a.py"`), file)
	assert.Equal(t, 5*time.Minute, c.ExpiresAt.Sub(c.IssuedAt))

	_, err = f.re.Narrow(req(parse), bound)
	require.ErrorIs(t, err, refresh.ErrNotExchangeable, "a parse token is never exchanged further")
	require.ErrorIs(t, err, token.ErrNarrowing)

	_, err = f.re.Narrow(req(session), token.Grant{Class: "dag_parse", Audience: []string{"elsewhere"}})
	require.ErrorIs(t, err, refresh.ErrNotExchangeable)

	_, err = f.re.Narrow(req(nil), bound)
	require.ErrorIs(t, err, refresh.ErrNoClaims)

	_, err = f.re.Narrow(req(session), token.Grant{Class: "dag_parse", Claims: map[string]json.RawMessage{"sub": json.RawMessage(`"x"`)}})
	require.ErrorIs(t, err, token.ErrNotMinted)
	assert.NotErrorIs(t, err, refresh.ErrNotExchangeable, "a host's mistake is not the token's fault")
}
