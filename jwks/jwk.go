package jwks

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"fmt"
)

// publicJWK holds the members of a public JWK (RFC 7517 §4, RFC 7518 §6,
// RFC 8037 §2). Private members (d, p, q, dp, dq, qi, oth, k) have no field,
// so they cannot be written.
type publicJWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// MarshalJSON encodes k as a public JWK with use "sig", its alg and its kid
// (left out if empty). EC coordinates keep the full field length (leading
// zeros included, RFC 7518 §6.2.1.2); RSA n and e have no leading zeros
// (§6.3.1). An HMAC secret is never published: it fails with
// [ErrUnsupportedKey], as does the zero Key.
func (k Key) MarshalJSON() ([]byte, error) {
	j := publicJWK{Use: "sig", Alg: string(k.alg), Kid: k.id}
	switch m := k.material.(type) {
	case *ecdsa.PublicKey:
		crv, x, y, err := ecParams(m)
		if err != nil {
			return nil, err
		}
		j.Kty, j.Crv, j.X, j.Y = "EC", crv, x, y
	case ed25519.PublicKey:
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64.EncodeToString(m)
	case *rsa.PublicKey:
		j.Kty, j.N, j.E = "RSA", b64.EncodeToString(m.N.Bytes()), rsaE(m.E)
	case []byte:
		return nil, fmt.Errorf("%w: an HMAC secret is never published", ErrUnsupportedKey)
	default:
		return nil, fmt.Errorf("%w: zero Key", ErrUnsupportedKey)
	}
	return json.Marshal(j)
}

// MarshalSet encodes keys as a JWK Set, {"keys":[...]}, in the order given.
// It leaves nothing out silently: an HMAC secret, a zero Key or two keys
// with the same kid make it fail.
func MarshalSet(keys ...Key) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"keys":[`)
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		if k.id != "" && seen[k.id] {
			return nil, fmt.Errorf("%w: duplicate kid %q", ErrInvalidKID, k.id)
		}
		seen[k.id] = true
		b, err := k.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%w (key %d)", err, i)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(b)
	}
	buf.WriteString("]}")
	return buf.Bytes(), nil
}
