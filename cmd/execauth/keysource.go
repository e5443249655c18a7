package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/observe"
)

// ownKeys is what the server signs with, verifies its own tokens with and
// publishes: a *jwks.Keyring around one key file, or a *jwks.Dir.
type ownKeys interface {
	jwks.SigningKeys
	jwks.Lookup
	jwks.PublicKeys
}

// ownKeys returns cfg.keys, or a keyring whose only key is cfg.key.
func (cfg serverConfig) ownKeys() (ownKeys, error) {
	switch {
	case cfg.keys != nil:
		return cfg.keys, nil
	case cfg.key == nil:
		return nil, errors.New("no signing key")
	}
	return jwks.NewKeyring(jwks.KeyringConfig{Active: cfg.key, Now: cfg.now})
}

// trust returns what verifies tokens: own keys alone, or joined with the
// keys of the trusted JWK Set files and URLs (a jwks.Cache, returned to be
// closed). The URLs are fetched before it returns. A trusted key that
// shares a kid with one of the server's own keys but is another key would
// make that kid fail for both: that is refused here rather than met later.
func trust(ctx context.Context, own ownKeys, trusted []string, log *slog.Logger, now func() time.Time, hooks *observe.Hooks) (*jwks.Cache, jwks.Lookup, error) {
	if len(trusted) == 0 {
		return nil, own, nil
	}
	report := func(err error) { log.Warn("trusted JWK Set", "err", err) }
	kc := jwks.CacheConfig{Logger: log, Now: now, Hooks: hooks}
	for _, src := range trusted {
		if isURL(src) {
			kc.URLs = append(kc.URLs, src)
			continue
		}
		others, err := readKeySet(src, report)
		if err != nil {
			return nil, nil, err
		}
		kc.Keys = append(kc.Keys, others...)
	}
	cache, err := jwks.NewCache(ctx, kc)
	if err != nil {
		return nil, nil, err
	}
	union := jwks.NewUnion(own, cache)
	for _, k := range cache.PublicKeys() {
		if _, err := union.LookupKey(ctx, k.ID(), k.Algorithm()); errors.Is(err, jwks.ErrInvalidKID) {
			cache.Close()
			return nil, nil, fmt.Errorf("%w: a trusted JWK Set has the kid %q of a key of the server's own, with another key", jwks.ErrInvalidKID, k.ID())
		}
	}
	return cache, union, nil
}

// signingKeys opens what -key or -keys names, exactly one of them: a key
// file (with its flags), or a key directory polled every reload, whose
// reads go to hooks. done releases it.
func signingKeys(ctx context.Context, key *keyFlags, keyDir string, reload time.Duration, log *slog.Logger, stderr io.Writer, hooks *observe.Hooks) (keys ownKeys, done func(), err error) {
	if err := keySource(key, keyDir); err != nil {
		return nil, nil, err
	}
	if keyDir == "" {
		sk, err := key.signing(stderr)
		if err != nil {
			return nil, nil, err
		}
		ring, err := jwks.NewKeyring(jwks.KeyringConfig{Active: sk})
		return ring, func() {}, err
	}
	if reload <= 0 {
		return nil, nil, usagef("-reload must be positive")
	}
	dir, err := jwks.OpenDir(ctx, jwks.DirConfig{Path: keyDir, Reload: reload, Logger: log, Hooks: hooks})
	if err != nil {
		return nil, nil, err
	}
	return dir, dir.Close, nil
}

// mintKey returns the key mint signs with: the key file of -key, or the
// active key of the -keys directory.
func (c *cli) mintKey(ctx context.Context, key *keyFlags, keyDir string) (*jwks.SigningKey, error) {
	if err := keySource(key, keyDir); err != nil {
		return nil, err
	}
	if keyDir == "" {
		return key.signing(c.stderr)
	}
	d, err := jwks.OpenDir(ctx, c.dirConfig(keyDir, 0))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Active(), nil
}

// keySource checks that exactly one of -key and -keys is given, and that
// the flags that qualify a key file come with -key: a key directory names
// its keys' ids and algorithms itself.
func keySource(key *keyFlags, keyDir string) error {
	switch {
	case keyDir == "" && !key.set():
		return usagef("-key or -keys is required")
	case keyDir == "":
		return nil
	case key.set():
		return usagef("-key and -keys exclude each other")
	case key.kid != "" || key.airflowKID || key.text || key.short:
		return usagef("-kid, -airflow-kid, -secret-text and -insecure-short-secret go with -key")
	}
	return nil
}
