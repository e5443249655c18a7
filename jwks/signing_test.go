package jwks_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

func TestNewSigningKeyDefaultKIDIsThumbprint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		private any
		alg     jwks.Algorithm
	}{
		{"EC", ecKey(t, elliptic.P384()), jwks.ES384},
		{"Ed25519", edKey(t), jwks.EdDSA},
		{"RSA", rsaKey(t), jwks.RS256},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := jwks.NewSigningKey("", "", tc.private)
			require.NoError(t, err)
			want, err := jwks.Thumbprint(tc.private)
			require.NoError(t, err)
			assert.Equal(t, want, k.ID())
			assert.Equal(t, want, k.Public().ID())
			assert.Equal(t, tc.alg, k.Algorithm())
			assert.Same(t, k, k.Active())
			assert.True(t, k.Holds(want))
			assert.False(t, k.Holds("other"))
			assert.False(t, k.Public().IsSymmetric())
		})
	}
}

// The default kid of an HMAC key is published in every token header, so it
// must not be the oct thumbprint (a plain hash of the secret, which allows
// offline guessing), and it must be stable across restarts.
func TestNewSigningKeyHMACKID(t *testing.T) {
	t.Parallel()
	secret := secretOf(64)
	a, err := jwks.NewSigningKey("", jwks.HS512, secret)
	require.NoError(t, err)
	b, err := jwks.NewSigningKey("", jwks.HS512, secret)
	require.NoError(t, err)
	other, err := jwks.NewSigningKey("", jwks.HS512, append(secretOf(63), 'x'))
	require.NoError(t, err)
	thumb, err := jwks.Thumbprint(secret)
	require.NoError(t, err)

	assert.Equal(t, a.ID(), b.ID(), "stable")
	assert.NotEqual(t, thumb, a.ID())
	assert.NotEqual(t, a.ID(), other.ID())
	assert.True(t, jwks.ValidKID(a.ID()))
	assert.NotContains(t, a.ID(), base64.RawURLEncoding.EncodeToString(secret[:12]))
	assert.True(t, a.Public().IsSymmetric())
}

func TestNewSigningKeyKeepsGivenKID(t *testing.T) {
	t.Parallel()
	k, err := jwks.NewSigningKey("not-used", jwks.HS256, secretOf(32))
	require.NoError(t, err)
	assert.Equal(t, "not-used", k.ID())
	assert.Equal(t, jwks.HS256, k.Algorithm())
}

func TestNewSigningKeyRefuses(t *testing.T) {
	t.Parallel()
	ec := ecKey(t, elliptic.P256())
	noScalar := *ec
	noScalar.D = nil
	ed := edKey(t)
	mismatched := append(ed25519.PrivateKey(nil), ed[:32]...)
	mismatched = append(mismatched, edKey(t).Public().(ed25519.PublicKey)...)
	tests := []struct {
		name    string
		kid     string
		alg     jwks.Algorithm
		private any
		wantErr error
	}{
		{"public key", "", "", &ec.PublicKey, jwks.ErrUnsupportedKey},
		{"not a key", "", "", "secret", jwks.ErrUnsupportedKey},
		{"nil", "", "", nil, jwks.ErrUnsupportedKey},
		{"nil EC key", "", "", (*ecdsa.PrivateKey)(nil), jwks.ErrUnsupportedKey},
		{"EC key without scalar", "", "", &noScalar, jwks.ErrUnsupportedKey},
		{"short Ed25519", "", "", ed[:40], jwks.ErrUnsupportedKey},
		{"nil Ed25519 pointer", "", "", (*ed25519.PrivateKey)(nil), jwks.ErrUnsupportedKey},
		{"Ed25519 with another public half", "", "", mismatched, jwks.ErrKeyMismatch},
		{"HMAC without alg", "", "", secretOf(64), jwks.ErrUnsupportedKey},
		{"HMAC too short", "", jwks.HS384, secretOf(47), jwks.ErrWeakKey},
		{"P-256 for ES384", "", jwks.ES384, ec, jwks.ErrKeyMismatch},
		{"none", "", "none", ec, jwks.ErrUnsupportedAlgorithm},
		{"invalid kid", "a\tb", "", ec, jwks.ErrInvalidKID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := jwks.NewSigningKey(tc.kid, tc.alg, tc.private)
			require.ErrorIs(t, err, tc.wantErr)
			assert.Nil(t, k)
		})
	}
}

func TestNewSigningKeyCopiesSecret(t *testing.T) {
	t.Parallel()
	secret := secretOf(32)
	k, err := jwks.NewSigningKey("h", jwks.HS256, secret)
	require.NoError(t, err)
	secret[0] ^= 0xff
	assert.Equal(t, secretOf(32), k.Private())
	assert.Equal(t, secretOf(32), k.Public().Material())
}

// Keys print and log as kid and alg only, whatever the verb, through a
// pointer or a copy, alone or inside other values.
func TestKeysRedactThemselves(t *testing.T) {
	t.Parallel()
	secret := secretOf(64)
	hs := mustSigningKey(t, "hs-kid", jwks.HS512, secret)
	ed := edKey(t)
	eds := mustSigningKey(t, "ed-kid", "", ed)
	ec := ecKey(t, elliptic.P256())
	ecs := mustSigningKey(t, "ec-kid", "", ec)
	static, err := jwks.NewStatic(hs.Public(), ecs.Public())
	require.NoError(t, err)
	ring, err := jwks.NewKeyring(jwks.KeyringConfig{Active: hs})
	require.NoError(t, err)

	forbidden := []string{
		string(secret[:20]), fmt.Sprint(secret[:8])[1:], hex.EncodeToString(secret[:8]),
		base64.StdEncoding.EncodeToString(secret[:12]), base64.RawURLEncoding.EncodeToString(secret[:12]),
		hex.EncodeToString(ed.Seed()[:8]), fmt.Sprint([]byte(ed.Seed()[:8]))[1:],
		ec.D.String()[:20], ec.D.Text(16)[:16],
	}
	values := map[string]any{
		"HMAC signing key": hs, "HMAC signing key copy": *hs, "Ed25519 signing key": eds,
		"Ed25519 signing key copy": *eds, "EC signing key copy": *ecs, "HMAC key": hs.Public(),
		"in a slice": []jwks.SigningKey{*hs, *eds}, "in a struct": struct{ K jwks.SigningKey }{*eds},
		"Static": static, "Static copy": *static, "Keyring": ring,
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
				fmt.Fprintf(&out, verb+"\n", v)
			}
			for _, h := range []slog.Handler{slog.NewJSONHandler(&out, nil), slog.NewTextHandler(&out, nil)} {
				slog.New(h).Info("key", "k", v)
			}
			for _, f := range forbidden {
				assert.NotContains(t, out.String(), f)
			}
		})
	}
	var out bytes.Buffer
	slog.New(slog.NewJSONHandler(&out, nil)).Info("key", "k", hs, "p", hs.Public())
	assert.Contains(t, out.String(), `"k":{"kid":"hs-kid","alg":"HS512"}`)
	assert.Equal(t, "SigningKey{kid=ec-kid alg=ES256}", fmt.Sprintf("%+v", ecs))
	assert.Equal(t, "Key{kid=hs-kid alg=HS512}", fmt.Sprintf("%#v", hs.Public()))
	assert.Equal(t, "Static[Key{kid=hs-kid alg=HS512} Key{kid=ec-kid alg=ES256}]", fmt.Sprint(static))
	assert.Equal(t, "<nil>", fmt.Sprint((*jwks.SigningKey)(nil)))
}
