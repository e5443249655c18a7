package jwks_test

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/airflowvec"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
)

// The key ids of the committed PyJWT vectors: Airflow's derivation for RSA
// and Ed25519, RFC 7638 for every key, and the JWK Set Airflow builds binding
// to the kid and algorithm PyJWT would.
func TestAirflowKIDVectors(t *testing.T) {
	t.Parallel()
	doc, err := airflowvec.Load("vectors.json")
	require.NoError(t, err)
	require.Len(t, doc.Keys, 3)
	for name, want := range doc.Keys {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := doc.PEM(name)
			require.NoError(t, err)
			k, err := jwks.ParsePrivate(data, "", "")
			require.NoError(t, err)
			assert.Equal(t, want.RFC7638KID, k.ID(), "the default kid is the RFC 7638 thumbprint")

			kid, err := jwks.AirflowKID(k.Public().Material())
			if want.AirflowKID == nil { // EC: Airflow derives none
				require.ErrorIs(t, err, jwks.ErrUnsupportedKey)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, *want.AirflowKID, kid)
			fromPrivate, err := jwks.AirflowKID(k.Private())
			require.NoError(t, err)
			assert.Equal(t, kid, fromPrivate, "a private key gives its public half's id")
			assert.Equal(t, want.Kty == "OKP", kid == k.ID(), "equal to RFC 7638 for Ed25519 only")

			keys, skipped, err := jwks.ParseSet(want.JWKS)
			require.NoError(t, err)
			require.Empty(t, skipped)
			require.Len(t, keys, 1)
			assert.Equal(t, kid, keys[0].ID(), "Airflow's key set names the key by the derived id")
			assert.Equal(t, jwks.Algorithm(want.Alg), keys[0].Algorithm(), "bound as PyJWT binds a JWK without alg")
		})
	}
}

func TestAirflowKIDRefusesSecrets(t *testing.T) {
	t.Parallel()
	_, err := jwks.AirflowKID([]byte(strings.Repeat("s", 64)))
	require.ErrorIs(t, err, jwks.ErrUnsupportedKey)
	_, err = jwks.AirflowKID(nil)
	require.ErrorIs(t, err, jwks.ErrUnsupportedKey)
}

// The Airflow secrets of the vectors, read as text: the HMAC key is the
// UTF-8 bytes of the text, so signing a vector's signing input with it
// reproduces PyJWT's signature byte for byte.
func TestTextSecretSignsAsAirflow(t *testing.T) {
	t.Parallel()
	doc, err := airflowvec.Load("vectors.json")
	require.NoError(t, err)
	checked := 0
	for _, v := range doc.Tokens {
		if v.Verify.KeySource != "secret" || v.Expect.Result != "accept" {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			k, err := jwks.NewTextSecret(doc.Secrets[v.Verify.Secret].Text, "", "", jwks.TextSecretOptions{
				InsecureShortSecret: true, Logger: slog.New(slog.DiscardHandler),
			})
			require.NoError(t, err)
			assert.Equal(t, jwks.HS512, k.Algorithm())
			assert.Equal(t, []byte(doc.Secrets[v.Verify.Secret].Text), k.Private())
			dot := strings.LastIndexByte(v.Token, '.')
			sig, err := k.Sign(v.Token[:dot])
			require.NoError(t, err)
			assert.Equal(t, v.Token[dot+1:], base64.RawURLEncoding.EncodeToString(sig))
		})
		checked++
	}
	assert.GreaterOrEqual(t, checked, 8)
}

func TestNewTextSecretFloor(t *testing.T) {
	t.Parallel()
	doc, err := airflowvec.Load("vectors.json")
	require.NoError(t, err)
	quiet := jwks.TextSecretOptions{InsecureShortSecret: true, Logger: slog.New(slog.DiscardHandler)}
	tests := []struct {
		name    string
		text    string
		alg     jwks.Algorithm
		opts    jwks.TextSecretOptions
		wantErr error
	}{
		{name: "64 bytes for HS512", text: doc.Secrets["long_64"].Text},
		{name: "Airflow's airflow.cfg secret refused by default", text: doc.Secrets["airflow_cfg_24"].Text, wantErr: jwks.ErrWeakKey},
		{name: "Airflow's runtime secret refused by default", text: doc.Secrets["runtime_22"].Text, wantErr: jwks.ErrWeakKey},
		{name: "63 bytes for HS512 refused", text: strings.Repeat("x", 63), wantErr: jwks.ErrWeakKey},
		{name: "airflow.cfg secret with the opt-in", text: doc.Secrets["airflow_cfg_24"].Text, opts: quiet},
		{name: "runtime secret with the opt-in", text: doc.Secrets["runtime_22"].Text, opts: quiet},
		{name: "under the floor even with the opt-in", text: strings.Repeat("x", jwks.MinShortSecret-1), opts: quiet, wantErr: jwks.ErrWeakKey},
		{name: "HS256 needs 32 bytes", text: strings.Repeat("x", 31), alg: jwks.HS256, wantErr: jwks.ErrWeakKey},
		{name: "HS256 with 32 bytes", text: strings.Repeat("x", 32), alg: jwks.HS256},
		{name: "not an HMAC algorithm", text: strings.Repeat("x", 64), alg: jwks.ES256, wantErr: jwks.ErrKeyMismatch},
		{name: "empty", text: "", wantErr: jwks.ErrMalformed},
		{name: "invalid UTF-8", text: strings.Repeat("x", 63) + "\xff", wantErr: jwks.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := jwks.NewTextSecret(tc.text, "", tc.alg, tc.opts)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Nil(t, k)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []byte(tc.text), k.Private())
		})
	}
}

// A short secret is accepted only with a warning that names its length and
// never its text; a full-length one is not warned about.
func TestNewTextSecretWarns(t *testing.T) {
	t.Parallel()
	text := "BksdRMCmT0eUZSz1Nv0Jkw=="
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	_, err := jwks.NewTextSecret(text, "", jwks.HS512, jwks.TextSecretOptions{InsecureShortSecret: true, Logger: log})
	require.NoError(t, err)
	out := buf.String()
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, "InsecureShortSecret")
	assert.Contains(t, out, "bytes=24")
	assert.NotContains(t, out, text)
	assert.NotContains(t, out, "BksdRMCm")

	buf.Reset()
	_, err = jwks.NewTextSecret(strings.Repeat("y", 64), "", jwks.HS512, jwks.TextSecretOptions{InsecureShortSecret: true, Logger: log})
	require.NoError(t, err)
	assert.Empty(t, buf.String(), "a secret of full length is not warned about")
}

// A generated text secret is written as its text and read back as text; read
// as a base64url key file instead it is too short and refused, so the two
// readings cannot be confused silently.
func TestTextSecretFile(t *testing.T) {
	t.Parallel()
	k, err := jwks.GenerateTextSecret(jwks.HS512)
	require.NoError(t, err)
	text := k.Private().([]byte)
	assert.Len(t, text, 64)
	for _, c := range text {
		assert.True(t, c == '-' || c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9')
	}
	path := filepath.Join(t.TempDir(), "jwt_secret")
	require.NoError(t, jwks.WriteSigningKey(path, k))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(text)+"\n", string(data))

	back, err := jwks.ReadTextSecret(path, "", "", jwks.TextSecretOptions{})
	require.NoError(t, err)
	assert.Equal(t, k.ID(), back.ID())
	assert.Equal(t, text, back.Private())

	_, err = jwks.ReadSigningKey(path, "", "")
	require.ErrorIs(t, err, jwks.ErrWeakKey, "48 bytes once decoded: too short for HS512")

	_, err = jwks.GenerateTextSecret(jwks.EdDSA)
	require.ErrorIs(t, err, jwks.ErrUnsupportedAlgorithm)
}

func TestParseTextSecretRefusesPEM(t *testing.T) {
	t.Parallel()
	k := testkit.Key(t, jwks.EdDSA, "")
	data, err := jwks.MarshalPrivate(k)
	require.NoError(t, err)
	_, err = jwks.ParseTextSecret(data, "", "", jwks.TextSecretOptions{})
	require.ErrorIs(t, err, jwks.ErrMalformed)
	got, err := jwks.ParseTextSecret([]byte("  "+strings.Repeat("z", 64)+"\r\n"), "kid-1", jwks.HS512, jwks.TextSecretOptions{})
	require.NoError(t, err)
	assert.Equal(t, []byte(strings.Repeat("z", 64)), got.Private(), "surrounding whitespace is not part of the secret")
	assert.Equal(t, "kid-1", got.ID())
}
