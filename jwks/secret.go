package jwks

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"unicode/utf8"
)

// MinShortSecret is the shortest HMAC secret, in bytes, that
// [TextSecretOptions.InsecureShortSecret] accepts: the 22 characters of
// base64url text that carry 16 random bytes, the shortest secret Apache
// Airflow generates (the [api_auth] jwt_secret of a new airflow.cfg is 24
// characters). It is a floor on length, not on randomness: a secret of this
// length is only as strong as the 128 random bits behind it.
const MinShortSecret = 22

// TextSecretOptions are the rarely needed switches of [NewTextSecret] and
// [ReadTextSecret]. The zero value is the safe default.
type TextSecretOptions struct {
	// InsecureShortSecret accepts a secret shorter than the output of its
	// hash (64 bytes for HS512), down to MinShortSecret bytes, as Apache
	// Airflow generates them, and logs a warning when it does. A short secret
	// is easier to guess offline from any token it signed than the hash
	// allows for: prefer a secret of 64 bytes or more (keygen -alg HS512
	// -secret-text makes one). If false, a secret shorter than the hash
	// output is refused with [ErrWeakKey].
	InsecureShortSecret bool
	// Logger receives the warning logged when a short secret is accepted
	// (its length, never its content). If nil, slog.Default() is used.
	Logger *slog.Logger
}

// NewTextSecret binds an HMAC secret given as text to kid and alg: the key is
// the UTF-8 bytes of text exactly as given, never decoded. That is how
// Apache Airflow uses its [api_auth] jwt_secret, whatever the text looks
// like (its generated secrets are base64 text, used undecoded). Key files
// written by keygen and [MarshalPrivate] hold base64url that [ParsePrivate]
// decodes instead; the same text read both ways gives two different keys.
//
// An empty alg means HS512; any other alg must be HS256, HS384 or HS512. An
// empty kid becomes the default id of [NewSigningKey], derived from the
// secret without revealing it. The text must be valid UTF-8 and at least as
// long, in bytes, as the hash output, unless opts allow a short one.
func NewTextSecret(text, kid string, alg Algorithm, opts TextSecretOptions) (*SigningKey, error) {
	if alg == "" {
		alg = HS512
	}
	if !alg.Symmetric() {
		return nil, fmt.Errorf("%w: a text secret is for HS256, HS384 or HS512, not %q", ErrKeyMismatch, alg)
	}
	if text == "" || !utf8.ValidString(text) {
		return nil, fmt.Errorf("%w: a text secret must be non-empty UTF-8", ErrMalformed)
	}
	floor, size := 0, lookupSpec(alg).hash.Size()
	if opts.InsecureShortSecret {
		floor = MinShortSecret
	}
	secret := []byte(text)
	defer clear(secret) // newSigningKey keeps its own copy
	k, err := newSigningKey(kid, alg, secret, floor)
	if err != nil {
		return nil, err
	}
	k.text = true
	if len(secret) < size {
		cmp.Or(opts.Logger, slog.Default()).Warn("jwks: accepted an HMAC secret shorter than its hash output (InsecureShortSecret)",
			slog.String("alg", string(alg)), slog.Int("bytes", len(secret)), slog.Int("recommended_bytes", size))
	}
	return k, nil
}

// ReadTextSecret reads a file holding an HMAC secret as text, such as the
// value of Airflow's [api_auth] jwt_secret, and binds it with
// [NewTextSecret]. Whitespace around the text (a trailing newline) is not
// part of the secret, as a configuration file parser strips it too.
func ReadTextSecret(path, kid string, alg Algorithm, opts TextSecretOptions) (*SigningKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer clear(data)
	return ParseTextSecret(data, kid, alg, opts)
}

// ParseTextSecret is [ReadTextSecret] on the file's content: data without
// surrounding whitespace is the secret text.
func ParseTextSecret(data []byte, kid string, alg Algorithm, opts TextSecretOptions) (*SigningKey, error) {
	text := bytes.TrimSpace(data)
	if bytes.HasPrefix(text, []byte("-----BEGIN ")) {
		return nil, fmt.Errorf("%w: a PEM key is not a text secret", ErrMalformed)
	}
	return NewTextSecret(string(text), kid, alg, opts)
}

// GenerateTextSecret returns a new HMAC secret for alg (HS256, HS384 or
// HS512) as text: random bytes in base64url, as many characters as the hash
// output has bytes (64 for HS512, from 48 random bytes), so that the text
// used as its UTF-8 bytes — as Airflow's [api_auth] jwt_secret — is a secret
// of full length. The text read as base64url instead ([ParsePrivate]) is
// too short for alg and refused, so the two readings cannot be mixed up
// silently. Randomness comes from crypto/rand.
func GenerateTextSecret(alg Algorithm) (*SigningKey, error) {
	if !alg.Symmetric() {
		return nil, fmt.Errorf("%w: a text secret is for HS256, HS384 or HS512, not %q", ErrUnsupportedAlgorithm, alg)
	}
	raw := make([]byte, lookupSpec(alg).hash.Size()*3/4)
	defer clear(raw)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("jwks: generate %s: %w", alg, err)
	}
	text := make([]byte, b64.EncodedLen(len(raw)))
	defer clear(text)
	b64.Encode(text, raw)
	return NewTextSecret(string(text), "", alg, TextSecretOptions{})
}
