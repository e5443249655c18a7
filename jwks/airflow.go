package jwks

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
)

// AirflowKID returns the key id Apache Airflow derives for a key when its
// [api_auth] jwt_kid is unset: base64url without padding of the SHA-256 of
// PyJWT's public JWK of the key, serialized with member names sorted and no
// whitespace. key is a public key or a private key (its public half is used).
//
// For RSA that JWK is {"e", "key_ops": ["verify"], "kty", "n"}: key_ops is
// hashed too, so the id is not the RFC 7638 thumbprint ([Thumbprint], the
// default id here). For Ed25519 the JWK has exactly the members RFC 7638
// hashes, and the id equals the thumbprint. Airflow derives no id for EC keys
// (it needs jwt_kid) and none for HMAC secrets (its HMAC tokens carry no kid
// header): both fail with [ErrUnsupportedKey].
func AirflowKID(key any) (string, error) {
	switch k := publicOf(key).(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			break
		}
		canon := `{"e":"` + rsaE(k.E) + `","key_ops":["verify"],"kty":"RSA","n":"` + b64.EncodeToString(k.N.Bytes()) + `"}`
		sum := sha256.Sum256([]byte(canon))
		return b64.EncodeToString(sum[:]), nil
	case ed25519.PublicKey:
		return Thumbprint(k)
	}
	return "", fmt.Errorf("%w: Airflow derives a key id only for RSA and Ed25519 keys, not %T", ErrUnsupportedKey, key)
}
