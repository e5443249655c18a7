package securitytest

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// SECURITY.md "Secrets at rest": key and token files are written with mode
// 0600 via temp file + fsync + rename. The fsync is not observable here;
// the mode, the replaced inode (a rename, not a write in place) and a
// directory without leftovers are.
func TestAttackSecretFiles(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes and inodes")
	}
	r := newRig(t, rigOpts{})
	raw := token.Raw(r.token(t, nil, ""))
	tests := []struct {
		name  string
		write func(path string) error
		check func(t *testing.T, path string)
	}{
		{"key file", func(path string) error { return jwks.WriteSigningKey(path, r.key) }, func(t *testing.T, path string) {
			back, err := jwks.ReadSigningKey(path, "k1", "")
			require.NoError(t, err)
			assert.Equal(t, r.key.Public().Material(), back.Public().Material())
		}},
		{"token file", func(path string) error { return refresh.WriteTokenFile(path, raw) }, func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, string(raw)+"\n", string(b))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "secret")
			// A file left world-readable by someone else is replaced, not
			// rewritten with its old mode.
			require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
			require.NoError(t, os.Chmod(path, 0o644))
			old, err := os.Stat(path)
			require.NoError(t, err)

			require.NoError(t, tc.write(path))
			info, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
			assert.False(t, os.SameFile(old, info), "written in place, not renamed over")
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Len(t, entries, 1, "temporary files left behind")
			tc.check(t, path)
		})
	}
	t.Run("a token file that is no token is refused, the old one kept", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "token")
		require.NoError(t, refresh.WriteTokenFile(path, raw))
		require.ErrorIs(t, refresh.WriteTokenFile(path, token.Raw("not a token\n"+canary)), refresh.ErrMalformed)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, string(raw)+"\n", string(b))
	})
}

// SECURITY.md "Secrets at rest": raw tokens and keys redact themselves in
// `fmt` and `slog` output.
func TestAttackRedaction(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{})
	raw := r.token(t, nil, "")
	_, payload, sig := testkit.Segments(t, raw)
	secret := bytes.Repeat([]byte{0x5e, 0xc7}, 32)
	hmacKey, err := jwks.NewSigningKey("h", "HS512", secret)
	require.NoError(t, err)
	static, err := jwks.NewStatic(hmacKey.Public())
	require.NoError(t, err)
	rawValue := token.Raw(raw)
	d := r.key.Private().(*ecdsa.PrivateKey).D
	dBytes := d.FillBytes(make([]byte, 32))

	// Each encoding in which a secret could come out.
	forbidden := []string{raw, payload, sig, d.String(), d.Text(16), hex.EncodeToString(dBytes),
		base64.RawURLEncoding.EncodeToString(dBytes), base64.StdEncoding.EncodeToString(dBytes)[:40],
		hex.EncodeToString(secret), base64.RawURLEncoding.EncodeToString(secret)[:40],
		base64.StdEncoding.EncodeToString(secret)[:40], fmt.Sprint(secret[:8])[1:20]}
	values := []struct {
		name string
		v    any
	}{
		{"token.Raw", token.Raw(raw)},
		{"*token.Raw", &rawValue},
		{"ES256 SigningKey", r.key},
		{"dereferenced SigningKey", *r.key},
		{"HMAC SigningKey", hmacKey},
		{"HMAC verification Key", hmacKey.Public()},
		{"Static holding an HMAC secret", static},
		{"struct with an exported token field", struct{ Token token.Raw }{token.Raw(raw)}},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}
	for _, tc := range values {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			for _, verb := range verbs {
				fmt.Fprintf(&out, verb+"\n", tc.v)
			}
			fmt.Fprintln(&out, tc.v)
			if _, isStruct := tc.v.(struct{ Token token.Raw }); !isStruct {
				// slog reaches LogValue only on an attribute's own value.
				for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
					slog.New(h).Info("m", "v", tc.v)
				}
			}
			for _, f := range forbidden {
				assert.NotContains(t, out.String(), f)
			}
		})
	}
}
