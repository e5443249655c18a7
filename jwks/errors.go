package jwks

import "errors"

// Errors returned by key constructors, lookups and the cache. Each is matched
// with errors.Is; detail follows the sentinel in the message.
var (
	// ErrUnknownKey: no key with the token's kid (or no key for its alg).
	ErrUnknownKey = errors.New("jwks: unknown key")
	// ErrKidRequired: the token has no kid and more than one key could match.
	ErrKidRequired = errors.New("jwks: kid required")
	// ErrAlgorithmMismatch: the token's alg is not the one its key is bound to.
	ErrAlgorithmMismatch = errors.New("jwks: algorithm does not match key")
	// ErrKeysUnavailable: keys were never loaded or are older than MaxStale.
	ErrKeysUnavailable = errors.New("jwks: keys unavailable")
	// ErrUnsupportedAlgorithm: an algorithm this package does not handle ("none" included).
	ErrUnsupportedAlgorithm = errors.New("jwks: unsupported algorithm")
	// ErrUnsupportedKey: a key type or curve this package does not handle.
	ErrUnsupportedKey = errors.New("jwks: unsupported key")
	// ErrWeakKey: RSA under 2048 bits, an HMAC secret shorter than its hash,
	// or an Ed25519 public key of small order (it verifies forgeries).
	ErrWeakKey = errors.New("jwks: weak key")
	// ErrKeyMismatch: the key's type or curve does not fit the algorithm.
	ErrKeyMismatch = errors.New("jwks: key does not fit algorithm")
	// ErrInvalidKID: a kid that is empty, longer than 256 bytes or not printable ASCII.
	ErrInvalidKID = errors.New("jwks: invalid kid")
	// ErrMalformed: a key file, JWK or JWK Set that cannot be decoded.
	ErrMalformed = errors.New("jwks: malformed key data")
	// ErrConfig: an invalid configuration (CacheConfig, KeyringConfig, DirConfig).
	ErrConfig = errors.New("jwks: invalid configuration")
	// ErrNotExportable: a private key held by a crypto.Signer that does not
	// give it out (a KMS or HSM key), asked to be written to a file.
	ErrNotExportable = errors.New("jwks: private key cannot be exported")
	// ErrFileMode: a key directory file that others may read or the group
	// may write.
	ErrFileMode = errors.New("jwks: key file permissions too open")
	// ErrActiveKey: the key signs now and cannot be removed; activate
	// another key first.
	ErrActiveKey = errors.New("jwks: key is active")
)
