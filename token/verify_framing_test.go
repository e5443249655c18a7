package token

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
)

// SECURITY.md "Token framing": size cap before decoding, exactly three
// segments, base64url characters only, strict base64url.
func TestVerifyFraming(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	good := f.signed(t, validHeaderES256, validClaims(t, nil))
	_, err := f.verify(t, good)
	require.NoError(t, err)
	parts := strings.Split(good, ".")

	tests := []struct {
		name string
		raw  string
	}{
		{"empty", ""},
		{"one segment", parts[0]},
		{"two segments", parts[0] + "." + parts[1]},
		{"four segments", good + "." + parts[2]},
		{"JWE five segments", good + ".AAAA.BBBB"},
		{"many dots (CVE-2025-30204 shape)", good + strings.Repeat(".", 1000)},
		{"empty header", "." + parts[1] + "." + parts[2]},
		{"empty payload", parts[0] + ".." + parts[2]},
		{"empty signature", parts[0] + "." + parts[1] + "."},
		{"padding", parts[0] + "=." + parts[1] + "." + parts[2]},
		{"space", parts[0] + "." + parts[1] + " ." + parts[2]},
		{"CR LF inside a segment", parts[0] + "." + parts[1][:10] + "\r\n" + parts[1][10:] + "." + parts[2]},
		{"tab", "\t" + good},
		{"standard base64 plus", parts[0] + "." + parts[1] + "+." + parts[2]},
		{"standard base64 slash", parts[0] + "." + parts[1] + "/." + parts[2]},
		{"NUL byte", good + "\x00"},
		{"non-ASCII", good + "é"},
		{"impossible length", parts[0] + "A." + parts[1] + "." + parts[2]},
		{"JSON serialization", `{"payload":"` + parts[1] + `","signatures":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.verify(t, tc.raw)
			require.ErrorIs(t, err, ErrMalformed)
		})
	}
}

func TestVerifySizeCap(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", func(c *VerifierConfig) { c.MaxSize = 600 })
	small := f.signed(t, validHeaderES256, validClaims(t, nil))
	require.Less(t, len(small), 600)
	_, err := f.verify(t, small)
	require.NoError(t, err)

	big := f.signed(t, validHeaderES256, validClaims(t, map[string]any{"pad": strings.Repeat("x", 600)}))
	_, err = f.verify(t, big)
	require.ErrorIs(t, err, ErrMalformed)

	// The cap applies before any decoding: 1 MiB of dots is refused at once.
	_, err = f.verify(t, strings.Repeat(".", 1<<20))
	require.ErrorIs(t, err, ErrMalformed)

	def := newFixture(t, "ES256", nil)
	_, err = def.verify(t, def.signed(t, validHeaderES256, validClaims(t, map[string]any{"pad": strings.Repeat("x", DefaultMaxSize)})))
	require.ErrorIs(t, err, ErrMalformed, "default cap is 8 KiB")
}

// Non-canonical trailing bits decode to the same bytes with a lenient decoder;
// a strict decoder must refuse them (SECURITY.md "Token framing").
func TestVerifyNonCanonicalBase64(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	good := f.signed(t, validHeaderES256, validClaims(t, nil))
	parts := strings.Split(good, ".")
	for i := range parts {
		seg := parts[i]
		if len(seg)%4 == 0 {
			continue // no trailing bits to abuse
		}
		last := seg[len(seg)-1]
		idx := strings.IndexByte(alphabet, last)
		// Setting the lowest bit changes only padding bits for lengths 2 and 3 mod 4.
		mutated := seg[:len(seg)-1] + string(alphabet[idx|1])
		if mutated == seg {
			mutated = seg[:len(seg)-1] + string(alphabet[idx&^1])
		}
		cp := append([]string(nil), parts...)
		cp[i] = mutated
		if i < 2 { // re-sign, so that only the encoding is wrong
			cp[2] = f.signInput(t, cp[0]+"."+cp[1])
		}
		_, err := f.verify(t, strings.Join(cp, "."))
		assert.ErrorIs(t, err, ErrMalformed, "segment %d", i)
	}
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func TestDecodeSegment(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "f", "fo", "foo", "foob", "fooba", "foobar", "\x00\xff\xfe"} {
		got, err := decodeSegment(nil, testkit.B64(s))
		require.NoError(t, err)
		assert.Equal(t, s, string(got))
	}
	// lengths 0 to 69, each decoded onto a prefix, and a character outside
	// the alphabet at every position
	rnd := rand.New(rand.NewPCG(1, 2))
	for n := range 70 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		enc := base64.RawURLEncoding.EncodeToString(b)
		got, err := decodeSegment([]byte("pre"), enc)
		require.NoError(t, err, n)
		assert.Equal(t, "pre"+string(b), string(got), n)
		// In place in a buffer with exactly the room, or more: nothing is
		// written past the decoded bytes.
		for _, spare := range []int{0, 1, 8} {
			buf := bytes.Repeat([]byte{0xaa}, 3+n+spare)
			copy(buf, "pre")
			got, err := decodeSegment(buf[:3], enc)
			require.NoError(t, err, n)
			assert.Equal(t, "pre"+string(b), string(got), n)
			assert.Same(t, &buf[0], &got[0], "decoded in place, %d spare", spare)
			assert.Equal(t, bytes.Repeat([]byte{0xaa}, spare), buf[3+n:], "written past the end, %d spare", spare)
		}
		for i := range enc {
			for _, c := range []byte{'=', '+', '/', '.', 0, 0x80, 0xff} {
				bad := []byte(enc)
				bad[i] = c
				_, err := decodeSegment(nil, string(bad))
				assert.ErrorIs(t, err, ErrMalformed, "%q at %d of %d", c, i, len(enc))
			}
		}
	}
	// every last character of a two- and three-character tail, against the
	// standard library's strict decoder
	strict := base64.RawURLEncoding.Strict()
	for _, head := range []string{"", "QUJD", "_-_-"} {
		for _, tail := range []string{"Z", "ZZ"} {
			for c := range 256 {
				s := head + tail + string(rune(c))
				want, wantErr := strict.DecodeString(s)
				got, err := decodeSegment(make([]byte, 0, len(s)*3/4), s) // no byte to spare
				if wantErr != nil {
					assert.ErrorIs(t, err, ErrMalformed, "%q", s)
					continue
				}
				require.NoError(t, err, "%q", s)
				assert.Equal(t, want, got, "%q", s)
			}
		}
	}
	_, err := decodeSegment(nil, "Zg==")
	require.Error(t, err, "charset is checked by split; a stray '=' must not decode either")
	_, err = decodeSegment(nil, "Zh")
	require.ErrorIs(t, err, ErrMalformed, "non-canonical: 'Zh' has trailing bits set")
}
