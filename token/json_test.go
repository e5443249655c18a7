package token

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
)

// members builds a JSON object with n distinct members "m0".."m(n-1)", then
// the given extra members.
func members(n int, extra ...string) string {
	parts := make([]string, 0, n+len(extra))
	for i := range n {
		parts = append(parts, fmt.Sprintf(`"m%d":%d`, i, i))
	}
	return "{" + strings.Join(append(parts, extra...), ",") + "}"
}

// readAll returns the names read from the top-level object in data.
func readAll(data string) ([]string, error) {
	o, err := readObject([]byte(data))
	if err != nil {
		return nil, err
	}
	var names []string
	for {
		m, ok, err := o.next()
		if err != nil || !ok {
			return names, err
		}
		names = append(names, string(m.name))
	}
}

// TestObjectDuplicateNames covers the name table in the set itself (up to
// 32 names) and as it grows beyond, at the top level and nested.
func TestObjectDuplicateNames(t *testing.T) {
	for _, n := range []int{1, 15, 16, 17, 31, 32, 33, 40, 64, 65, 500} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			names, err := readAll(members(n))
			require.NoError(t, err)
			assert.Len(t, names, n)

			dups := map[string]string{
				"first again":        members(n, `"m0":true`),
				"last again":         members(n, fmt.Sprintf(`"m%d":true`, n-1)),
				"escaped first":      members(n, `"\u006d0":true`),
				"escaped last":       members(n, fmt.Sprintf(`"\u006d%d":true`, n-1)),
				"nested":             `{"x":` + members(n, `"m0":1`) + `}`,
				"nested in an array": `{"x":[1,` + members(n, `"\u006d0":1`) + `]}`,
			}
			for name, data := range dups {
				_, err := readAll(data)
				assert.ErrorIs(t, err, ErrMalformed, name)
			}
			_, err = readAll(members(n, `"m0x":1`, `"M0":2`))
			assert.NoError(t, err, "names that differ only by suffix or case are distinct")
		})
	}
}

// TestObjectGrammar: the reader accepts exactly one well-formed object.
func TestObjectGrammar(t *testing.T) {
	for _, ok := range []string{`{}`, ` { } `, `{"a":1}`, "{\"a\" : [ ] ,\n\"b\":{}}", `{"":""}`} {
		_, err := readAll(ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{
		``, `[]`, `{`, `}`, `{,}`, `{"a":1,}`, `{"a":1}{}`, `{"a":1} x`, `{"a"}`, `{"a":}`,
		`{"a" 1}`, `{a:1}`, `{"a":1 "b":2}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":tru}`,
		`{"a":01}`, `{"a":1.}`, `{"a":"\x"}`, `{"\udc00":1}`, `{"\ud800x":1}`,
	} {
		_, err := readAll(bad)
		assert.ErrorIs(t, err, ErrMalformed, bad)
	}
}

// TestClaimStringsOwnTheirBytes: string claims never alias the decode
// buffer, which the verifier reuses; escaped and plain values both decode.
func TestClaimStringsOwnTheirBytes(t *testing.T) {
	data := []byte(`{"sub":"svc\/a\u00e9","jti":"j-1","iss":"` + testIssuer + `","aud":["x","` + testAudience + `"],"scope":"execution connections:read"}`)
	c, err := decodeClaims(data, "", new(expected))
	require.NoError(t, err)
	for i := range data {
		data[i] = 'X'
	}
	assert.Equal(t, "svc/aé", c.Subject)
	assert.Equal(t, "j-1", c.ID)
	assert.Equal(t, testIssuer, c.Issuer)
	assert.Equal(t, []string{"x", testAudience}, c.Audience)
	assert.Equal(t, "execution connections:read", c.Scope.String())
}

// TestObjectLongNames: names that share a long prefix are told apart by
// the rest.
func TestObjectLongNames(t *testing.T) {
	_, err := readAll(`{"abcdefgh1":1,"abcdefgh2":2,"abcdefgh":3,"abcdefg":4}`)
	assert.NoError(t, err)
	for _, dup := range []string{
		`{"abcdefgh1":1,"abcdefgh1":2}`,
		`{"abcdefghij":1,"x":0,"abcdefghij":2}`,
		`{"abcdefghij":1,"abcdefgh\u0069j":2}`,
	} {
		_, err := readAll(dup)
		assert.ErrorIs(t, err, ErrMalformed, dup)
	}
}

func TestTimeValue(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1": 1, "1795435200": 1795435200,
		"253402300799": 253402300799, // 9999-12-31T23:59:59Z
	} {
		var got time.Time
		end, err := timeValue([]byte(in+","), 0, &got)
		require.NoError(t, err, in)
		assert.Equal(t, want, got.Unix(), in)
		assert.Equal(t, len(in), end, in)
	}
	for _, in := range []string{
		"", "-", "01", "-01", "1.0", "1e3", "+1", `"1"`, "null", "12a",
		"-0", "-1", "253402300800", "999999999999", "1000000000000",
		"9223371974719179008", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
	} {
		// Refused here, or read only in part, so that what follows is not
		// the ',' or '}' the claims set needs.
		if end, err := timeValue([]byte(in), 0, new(time.Time)); err == nil {
			assert.Less(t, end, len(in), in)
			assert.NotContains(t, ",}", in[end:end+1], in)
		} else {
			assert.ErrorIs(t, err, ErrMalformed, in)
		}
	}
}

// TestIsTaskID: the shortcut accepts exactly the 36-character strings that
// uuid.Parse accepts, checked on mutations of a valid id.
func TestIsTaskID(t *testing.T) {
	reference := func(s string) bool { _, err := uuid.Parse(s); return len(s) == 36 && err == nil }
	base := testTask
	cases := []string{base, strings.ToUpper(base), "", base[:35], base + "0", "{" + base[1:35] + "}"}
	for i := range base {
		for _, c := range []byte{'-', '0', 'f', 'F', 'g', ' ', '{', 0, 0xff} {
			b := []byte(base)
			b[i] = c
			cases = append(cases, string(b))
		}
	}
	for _, s := range cases {
		assert.Equal(t, reference(s), isTaskID(s), "%q", s)
	}
}

// TestPlainRunEightAtATime: plainRun, which tests eight bytes at a time,
// stops where a byte-at-a-time scan does, for every stop byte at every
// offset of a word and for random bytes.
func TestPlainRunEightAtATime(t *testing.T) {
	t.Parallel()
	byteAtATime := func(data []byte, i int) int {
		for i < len(data) && !stringStop[data[i]] {
			i++
		}
		return i
	}
	var stops []byte
	for c := range 256 {
		if stringStop[c] {
			stops = append(stops, byte(c))
		}
	}
	require.Len(t, stops, 0x20+2+0x80) // controls, '"', '\\' and every byte outside ASCII
	for _, stop := range stops {
		for at := range 24 {
			// plain bytes on either side of the stop
			data := bytes.Repeat([]byte{'a', 0x7f, '~', ']', ' ', '!', '#', '['}, 4)
			data[at] = stop
			for from := 0; from <= at; from++ {
				require.Equal(t, at, plainRun(data, from), "stop %#x at %d, from %d", stop, at, from)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		data := make([]byte, rng.IntN(40))
		for i := range data {
			data[i] = byte(rng.IntN(256))
			if rng.IntN(8) > 0 {
				data[i] = byte(' ' + rng.IntN(0x7f-' ')) // mostly printable ASCII, so runs are long
			}
		}
		from := rng.IntN(len(data) + 1)
		require.Equal(t, byteAtATime(data, from), plainRun(data, from), "%q from %d", data, from)
	}
}

// TestUTF8CheckedWhereRead: UTF-8 is checked only inside strings, the one
// place the grammar lets a byte outside ASCII stand, so invalid UTF-8
// anywhere in a claims set or a header — in a name, a value, a nested host
// claim, between members, after the object, splitting a valid character —
// must still be refused. Each invalid sequence goes at every position.
func TestUTF8CheckedWhereRead(t *testing.T) {
	t.Parallel()
	claims := `{"iss":"a","aud":"b","x":{"é":["ü",{"k":"😀"}],"n":1},"sub":"s\u00e9é"}`
	header := `{"alg":"HS256","kid":"k1","x":["é",{"ü":"😀"}]}`
	bad := []string{"\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xbf"}
	exp := &expected{issuer: "a", audience: []string{"b"}}
	for _, b := range bad {
		for i := range len(claims) + 1 {
			in := claims[:i] + b + claims[i:]
			if !utf8.ValidString(in) {
				_, err := decodeClaims([]byte(in), "", exp)
				assert.ErrorIs(t, err, ErrMalformed, "%q", in)
			}
		}
		for i := range len(header) + 1 {
			in := header[:i] + b + header[i:]
			if !utf8.ValidString(in) {
				_, err := decodeHeader(testkit.B64(in))
				assert.ErrorIs(t, err, ErrMalformed, "%q", in)
			}
		}
	}
	// In a string it is the UTF-8 check that refuses it, not the grammar.
	_, err := decodeClaims([]byte(`{"sub":"a`+"\xff"+`"}`), "", exp)
	assert.Equal(t, errNotUTF8, err)
	c, err := decodeClaims([]byte(claims), "", exp)
	require.NoError(t, err)
	assert.Equal(t, "séé", c.Subject)
	x, ok := c.Extra("x")
	require.True(t, ok)
	assert.JSONEq(t, `{"é":["ü",{"k":"😀"}],"n":1}`, string(x))
	_, err = decodeHeader(testkit.B64(header))
	require.NoError(t, err)
}
