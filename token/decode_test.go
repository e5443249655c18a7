package token

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
)

// decodeClaimsByObject decodes a claims set through the generic object
// reader, which headers, nested objects and Claims.Extra use: the reference
// that decodeClaims, which reads the members itself, must agree with.
func decodeClaimsByObject(data []byte, exp *expected) (*Claims, error) {
	o, err := readObject(data)
	if err != nil {
		return nil, err
	}
	d := new(decoded)
	d.keepText(data)
	for {
		m, ok, err := o.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return &d.Claims, nil
		}
		if k := registeredIndex(m.name); k >= 0 {
			var end int
			if end, err = d.read(k, data, m.at, exp); err == nil && end != m.at+len(m.value) {
				return nil, fmt.Errorf("%w: %s read to %d, the value ends at %d", errJSON, m.name, end, m.at+len(m.value))
			}
		} else if isVariant(m.name) {
			err = ErrMalformed
		}
		if err != nil {
			return nil, err
		}
	}
}

// sameDecoding fails t unless decodeClaims and the generic reader agree on
// data: both refuse it for the same reason, or both return equal claims.
// The verifier's strings are "a" (iss) and "b" (aud), which some seeds use.
func sameDecoding(t *testing.T, data string) {
	t.Helper()
	exp := &expected{issuer: "a", audience: []string{"b"}}
	got, err := decodeClaims([]byte(data), base64.RawURLEncoding.EncodeToString([]byte(data)), exp)
	want, wantErr := decodeClaimsByObject([]byte(data), exp)
	if wantErr != nil {
		require.Error(t, err, "%q", data)
		assert.Nil(t, got)
		assert.Equal(t, Reason(wantErr), Reason(err), "%q: %v, want %v", data, err, wantErr)
		return
	}
	require.NoError(t, err, "%q", data)
	assert.Equal(t, claimsView(want), claimsView(got), "%q", data)
	// The reference shares the string decoding; encoding/json does not.
	var std struct {
		Iss, Sub, Jti string
		Aud           json.RawMessage
	}
	require.NoError(t, json.Unmarshal([]byte(data), &std), "%q", data)
	var aud []string
	if len(std.Aud) > 0 && std.Aud[0] == '"' {
		aud = []string{""}
		require.NoError(t, json.Unmarshal(std.Aud, &aud[0]))
	} else if len(std.Aud) > 0 {
		require.NoError(t, json.Unmarshal(std.Aud, &aud))
	}
	aud = slices.DeleteFunc(aud, func(a string) bool { return a == "" })
	assert.Equal(t, []string{std.Iss, std.Sub, std.Jti}, []string{got.Issuer, got.Subject, got.ID}, "%q", data)
	assert.Equal(t, len(aud), len(got.Audience), "%q", data)
	if len(aud) > 0 {
		assert.Equal(t, aud, got.Audience, "%q", data)
	}
}

// claimsView is what a caller can read of c: the fields, the form of aud and
// the host claims (where the text behind them is kept may differ).
func claimsView(c *Claims) any {
	type hostClaim struct{ name, value string }
	var host []hostClaim
	for n, v := range c.extras() {
		host = append(host, hostClaim{string(n), string(v)})
	}
	out := *c
	out.extra, out.encoded = "", false
	return struct {
		Claims
		host []hostClaim
	}{out, host}
}

// claimsSeeds are claims sets at the edges of the grammar and of the
// duplicate and case-variant rules.
var claimsSeeds = []string{
	`{}`, ` { } `, `{`, `}`, `{,}`, `{"iss":"a",}`, `{"iss":"a"}x`, `{"iss":"a"} `, `{"iss" "a"}`,
	`{"iss":"a" "sub":"b"}`, `{"iss":}`, `{"iss"}`, `{iss:"a"}`, `[]`, `"x"`, ``,
	`{"iss":"a","sub":"b","aud":["x","y"],"exp":2,"iat":1,"nbf":1,"jti":"j","scope":"execution","auth_time":1}`,
	`{"iss":"a","iss":"a"}`, `{"iss":"a","\u0069ss":"b"}`, `{"\u0069ss":"a"}`, `{"Iss":"a"}`, `{"ſub":"a"}`,
	`{"x":1,"x":2}`, `{"x":1,"\u0078":2}`, `{"x":{"y":1,"y":2}}`, `{"x":[{"y":1},{"y":1}]}`,
	`{"\ud800":1}`, `{"\ud83d\ude00":1}`, `{"x":"\ud800"}`, `{"exp":"1"}`, `{"exp":1.5}`, `{"scope":5}`,
	`{"scope":"execution extra"}`, `{"aud":[]}`, `{"aud":["",""]}`, `{"aud":"x","x":{"a":[1,2,{"b":null}]}}`,
	"{\"iss\":\"a\\u0000\"}", "{\"iss\":\"a\x01\"}", "{\"x\":\"\xff\"}", "\t{\r\n\"iss\" : \"a\" ,\n\"sub\":\"b\"}\n",
	`{"a1":1,"a2":2,"a3":3,"a4":4,"a5":5,"a6":6,"a7":7,"a8":8,"a9":9,"b1":1,"b2":2,"b3":3,"b4":4,"b5":5,"b6":6,"b7":7,"b8":8,"b9":9,"c1":1,"c2":2,"c3":3,"c4":4,"c5":5,"c6":6,"c7":7,"c8":8,"c9":9,"d1":1,"d2":2,"d3":3,"d4":4,"d5":5,"d6":6,"d7":7,"d8":8,"d9":9,"a5":0}`,
}

func init() {
	// past the name table's inline slots and its first growth, with an
	// escaped duplicate at the end: of a host claim, then of a registered one
	var b strings.Builder
	b.WriteString(`{"iss":"a"`)
	for i := range 135 {
		fmt.Fprintf(&b, `,"m%d":%d`, i, i)
	}
	claimsSeeds = append(claimsSeeds, b.String()+`,"\u006d3":0}`, b.String()+`,"\u0069ss":"b"}`, b.String()+"}")
}

// TestDecodeClaimsAgreesWithObject: decodeClaims reads a claims set as the
// generic reader does, on every seed and on every prefix of each seed.
func TestDecodeClaimsAgreesWithObject(t *testing.T) {
	t.Parallel()
	for _, seed := range claimsSeeds {
		for n := range len(seed) + 1 {
			sameDecoding(t, seed[:n])
		}
	}
}

// TestDecodeClaimsRefuses names the outcome for the cases a hand-written
// reader is likeliest to get wrong, whatever the reference says.
func TestDecodeClaimsRefuses(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		`{"iss":"a",}`, `{,"iss":"a"}`, `{"iss":"a",,"sub":"b"}`, `{"iss":"a"}{}`, `{"iss":"a"`,
		`{"iss":"a","iss":"a"}`, `{"iss":"a","\u0069ss":"a"}`, `{"x":1,"\u0078":1}`, `{"Exp":1}`,
	} {
		c, err := decodeClaims([]byte(data), "", new(expected))
		assert.ErrorIs(t, err, ErrMalformed, data)
		assert.Nil(t, c, data)
	}
	c, err := decodeClaims([]byte(`{}`), "", new(expected))
	require.NoError(t, err)
	assert.Zero(t, c.Issuer)

	// 136 members, and an escaped duplicate of a host or a registered claim
	many := claimsSeeds[len(claimsSeeds)-3:]
	for _, data := range many[:2] {
		_, err := decodeClaims([]byte(data), "", new(expected))
		assert.ErrorIs(t, err, ErrMalformed)
	}
	c, err = decodeClaims([]byte(many[2]), "", new(expected))
	require.NoError(t, err)
	assert.Equal(t, "a", c.Issuer)
}

// FuzzDecodeClaims: on any input, decodeClaims and the generic reader agree.
func FuzzDecodeClaims(f *testing.F) {
	for _, seed := range claimsSeeds {
		f.Add(seed)
	}
	f.Fuzz(sameDecoding)
}

// TestRegisteredIndex: the switch names every registered claim at its index
// and nothing else, not even a case variant or a prefix.
func TestRegisteredIndex(t *testing.T) {
	t.Parallel()
	for k, r := range registered {
		assert.Equal(t, k, registeredIndex([]byte(r)), r)
		for _, other := range []string{strings.ToUpper(r), r[:len(r)-1], r + "_", " " + r, r + "\x00"} {
			assert.Equal(t, -1, registeredIndex([]byte(other)), "%q", other)
		}
	}
	assert.Equal(t, -1, registeredIndex(nil))
}

// TestDecodeClaimsStrings: where string claims live. iss and aud equal to
// the verifier's share its strings; sub and jti fit in the Claims' own
// allocation; longer strings, escaped ones and host claims are still read
// whole; claims decoded later never change earlier ones.
func TestDecodeClaimsStrings(t *testing.T) {
	t.Parallel()
	exp := &expected{issuer: "https://scheduler.example", audience: []string{"other", "execution-api"}}
	const sub, jti = "3fc8a984-042a-4fe4-a5a5-79aa6655ed61", "34fd39176cfd9bfb84dcdfe5cc384931"
	usual := `{"iss":"https://scheduler.example","sub":"` + sub + `","aud":"execution-api","jti":"` + jti + `"}`
	c, err := decodeClaims([]byte(usual), "", exp)
	require.NoError(t, err)
	assert.Equal(t, []string{sub, jti, "https://scheduler.example"}, []string{c.Subject, c.ID, c.Issuer})
	assert.Equal(t, unsafe.StringData(exp.issuer), unsafe.StringData(c.Issuer), "iss shares the verifier's string")
	assert.Equal(t, unsafe.StringData(exp.audience[1]), unsafe.StringData(c.Audience[0]), "aud shares the verifier's string")
	assert.Empty(t, c.extra, "no host claims: the text is not kept")
	_, ok := c.Extra("sub")
	assert.False(t, ok)

	long := strings.Repeat("s", 60)
	for _, data := range []string{
		`{"sub":"` + long + `","jti":"` + long + `","iss":"other","aud":["x","y"]}`, // past the inline bytes
		`{"sub":"` + long + `","x":{"y":[1,"2"]},"jti":"j\u00e9","iss":"\u0061"}`,   // a host claim, escapes
	} {
		c, err := decodeClaims([]byte(data), "", exp)
		require.NoError(t, err, data)
		assert.Equal(t, long, c.Subject, data)
		assert.Equal(t, claimsView(mustDecodeByObject(t, data, exp)), claimsView(c), data)
	}
	c4, err := decodeClaims([]byte(`{"sub":"`+long+`","jti":"`+long+`","iss":"other","aud":["x","","y"]}`), "", exp)
	require.NoError(t, err)
	assert.Equal(t, []string{long, long, "other"}, []string{c4.Subject, c4.ID, c4.Issuer})
	assert.Equal(t, []string{"x", "y"}, c4.Audience)
	c4, err = decodeClaims([]byte(`{"sub":"`+long+`","jti":"j\u00e9","iss":"\u0061"}`), "", exp)
	require.NoError(t, err)
	assert.Equal(t, []string{long, "jé", "a"}, []string{c4.Subject, c4.ID, c4.Issuer})
	// Host claims are read from the token's payload, or from the text when
	// it is kept anyway.
	const host = `{"sub":"` + sub + `","x":[1,{"y":"z"}],"jti":"` + jti + `"}`
	enc := base64.RawURLEncoding.EncodeToString([]byte(host))
	c3, err := decodeClaims([]byte(host), enc, exp)
	require.NoError(t, err)
	assert.True(t, c3.encoded)
	assert.Equal(t, unsafe.StringData(enc), unsafe.StringData(c3.extra), "the token's own payload, not a copy")
	x, ok := c3.Extra("x")
	require.True(t, ok)
	assert.JSONEq(t, `[1,{"y":"z"}]`, string(x))
	over := `{"sub":"` + strings.Repeat("s", 80) + `","x":1}` // sub does not fit: the text is kept
	c3, err = decodeClaims([]byte(over), base64.RawURLEncoding.EncodeToString([]byte(over)), exp)
	require.NoError(t, err)
	assert.False(t, c3.encoded)
	x, ok = c3.Extra("x")
	require.True(t, ok)
	assert.Equal(t, "1", string(x))

	c2, err := decodeClaims([]byte(`{"sub":"`+strings.Repeat("x", 36)+`","jti":"`+strings.Repeat("y", 32)+`"}`), "", exp)
	require.NoError(t, err)
	assert.Equal(t, []string{sub, jti}, []string{c.Subject, c.ID}, "an earlier Claims is untouched")
	assert.Equal(t, strings.Repeat("x", 36), c2.Subject)
}

func mustDecodeByObject(t *testing.T, data string, exp *expected) *Claims {
	t.Helper()
	c, err := decodeClaimsByObject([]byte(data), exp)
	require.NoError(t, err)
	return c
}

// TestExtraFailsClosed: Claims read their host claims from the token string
// given to Verify. A host that breaks string immutability (unsafe.String
// over a buffer it then reuses) gets a panic from Extra, not a token that
// quietly lost the claim binding it to a resource.
func TestExtraFailsClosed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, jwks.HS256, nil)
	c := Claims{Subject: testTask, Scope: scope.Set{scope.Execution}}
	require.NoError(t, c.SetExtra("resource", json.RawMessage(`"bundle-7"`)))
	raw, err := f.iss.Mint(c)
	require.NoError(t, err)
	for _, corrupt := range []byte{'!', 'A'} { // not base64url; base64url that is no longer the JSON
		buf := []byte(raw)
		got, err := f.v.Verify(context.Background(), unsafe.String(&buf[0], len(buf)))
		require.NoError(t, err)
		v, ok := got.Extra("resource")
		require.True(t, ok)
		assert.Equal(t, `"bundle-7"`, string(v))
		payload := strings.IndexByte(string(raw), '.') + 1
		for i := payload; buf[i] != '.'; i++ {
			buf[i] = corrupt
		}
		assert.PanicsWithValue(t, "token: the claims set no longer reads as it was verified: was the token string modified?",
			func() { got.Extra("resource") }, "%q", corrupt)
	}
}
