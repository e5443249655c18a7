package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// keyFlags say how to read a -key file: a PEM key or a base64url secret as
// keygen writes them, or an HMAC secret as text (Airflow's jwt_secret), and
// which key id to bind.
type keyFlags struct {
	file       string
	kid        string
	text       bool // -secret-text
	short      bool // -insecure-short-secret
	airflowKID bool // -airflow-kid
}

// addKeyFlags defines -key, -secret-text, -insecure-short-secret and
// -airflow-kid on fs, and -kid if withKID.
func addKeyFlags(fs *flag.FlagSet, keyUsage string, withKID bool) *keyFlags {
	k := new(keyFlags)
	fs.StringVar(&k.file, "key", "", keyUsage)
	if withKID {
		fs.StringVar(&k.kid, "kid", "", "key id of -key; if empty, the key's default id (for a public key, its RFC 7638 thumbprint)")
	}
	fs.BoolVar(&k.text, "secret-text", false,
		"-key holds an HMAC secret as text, used as its UTF-8 bytes (Airflow's [api_auth] jwt_secret), not base64url to decode")
	fs.BoolVar(&k.short, "insecure-short-secret", false,
		fmt.Sprintf("with -secret-text: accept a secret shorter than its hash output, down to %d bytes (Airflow's generated secrets), with a warning", jwks.MinShortSecret))
	fs.BoolVar(&k.airflowKID, "airflow-kid", false,
		"bind -key (RSA or Ed25519) to the key id Airflow derives (jwks.AirflowKID) instead of the RFC 7638 thumbprint")
	return k
}

// check reports flags that do not go together.
func (k *keyFlags) check() error {
	switch {
	case k.short && !k.text:
		return usagef("-insecure-short-secret goes with -secret-text")
	case k.airflowKID && k.kid != "":
		return usagef("give at most one of -kid and -airflow-kid")
	case k.airflowKID && k.text:
		return usagef("-airflow-kid names RSA and Ed25519 keys; Airflow's HMAC tokens carry no kid")
	}
	return nil
}

// set reports whether -key was given.
func (k *keyFlags) set() bool { return k.file != "" }

// signing reads the signing key. A short secret accepted with
// -insecure-short-secret is warned about on stderr.
func (k *keyFlags) signing(stderr io.Writer) (*jwks.SigningKey, error) {
	data, err := readFile(k.file)
	if err != nil {
		return nil, err
	}
	defer clear(data)
	key, err := k.parse(data, stderr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.file, err)
	}
	return key, nil
}

func (k *keyFlags) parse(data []byte, stderr io.Writer) (*jwks.SigningKey, error) {
	if k.text {
		log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		return jwks.ParseTextSecret(data, k.kid, "", jwks.TextSecretOptions{InsecureShortSecret: k.short, Logger: log})
	}
	key, err := jwks.ParsePrivate(data, k.kid, "")
	if err != nil || !k.airflowKID {
		return key, err
	}
	kid, err := jwks.AirflowKID(key.Private())
	if err != nil {
		return nil, err
	}
	return jwks.ParsePrivate(data, kid, "")
}

// public reads the verification key: the public half of a private key, a
// PKIX public key, or an HMAC secret (base64url, or text with -secret-text).
func (k *keyFlags) public(stderr io.Writer) (jwks.Key, error) {
	if k.text {
		sk, err := k.signing(stderr)
		if err != nil {
			return jwks.Key{}, err
		}
		return sk.Public(), nil
	}
	kid := k.kid
	if k.airflowKID {
		pub, err := readPublic(k.file, "")
		if err != nil {
			return jwks.Key{}, err
		}
		if kid, err = jwks.AirflowKID(pub.Material()); err != nil {
			return jwks.Key{}, fmt.Errorf("%s: %w", k.file, err)
		}
	}
	return readPublic(k.file, kid)
}

// compatFlags are the verifier opt-ins for tokens Airflow mints: without
// scope (older releases) and without iss (jwt_issuer unset).
type compatFlags struct {
	missingScope, missingIss bool
}

func addCompatFlags(fs *flag.FlagSet) *compatFlags {
	c := new(compatFlags)
	fs.BoolVar(&c.missingScope, "accept-missing-scope", false,
		"accept a token without scope as an execution token, as older Airflow releases mint them")
	fs.BoolVar(&c.missingIss, "insecure-accept-missing-iss", false,
		"accept a token without iss, as Airflow mints them unless [api_auth] jwt_issuer is set (weaker: a token with an iss must still match -iss)")
	return c
}

func (c *compatFlags) apply(cfg *token.VerifierConfig) {
	cfg.AcceptMissingScope = c.missingScope
	cfg.InsecureAcceptMissingIssuer = c.missingIss
}
