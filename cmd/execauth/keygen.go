package main

import (
	"context"
	"flag"
	"fmt"
	"slices"

	"github.com/execauth/execauth/jwks"
)

// keygenAlgs are the algorithms keygen makes keys for. EdDSA is the default:
// small keys, fast and deterministic signatures, no curve or padding choices.
var keygenAlgs = []jwks.Algorithm{jwks.EdDSA, jwks.ES256, jwks.ES384, jwks.RS256, jwks.HS512}

// keygen writes a new key: PKCS #8 PEM, or for HS512 a 64-byte secret as
// base64url text (with -secret-text: 64 characters of text that are the
// secret themselves, for Airflow's [api_auth] jwt_secret). With -out the file
// is written atomically with mode 0600 and the kid goes to stdout; otherwise
// the key goes to stdout and the kid to stderr, so that `keygen > key.pem`
// captures the key alone. -airflow-kid prints the id Airflow derives instead.
func (c *cli) keygen(fs *flag.FlagSet) func(context.Context) error {
	alg := fs.String("alg", string(jwks.EdDSA), "algorithm: EdDSA, ES256, ES384, RS256 or HS512")
	out := fs.String("out", "", "write the key to `FILE` (mode 0600) instead of stdout")
	text := fs.Bool("secret-text", false,
		"with -alg HS512: write the secret as 64 characters of text used as its UTF-8 bytes (Airflow's [api_auth] jwt_secret)")
	airflowKID := fs.Bool("airflow-kid", false, "print the key id Airflow derives (RSA, Ed25519) instead of the RFC 7638 thumbprint")
	return func(context.Context) error {
		if err := noArgs(fs); err != nil {
			return err
		}
		a := jwks.Algorithm(*alg)
		switch {
		case !slices.Contains(keygenAlgs, a):
			return usagef("-alg must be one of %v", keygenAlgs)
		case *text && !a.Symmetric():
			return usagef("-secret-text goes with -alg HS512")
		case *airflowKID && a != jwks.RS256 && a != jwks.EdDSA:
			return usagef("-airflow-kid goes with -alg RS256 or EdDSA: Airflow derives no key id for other keys")
		}
		generate := jwks.Generate
		if *text {
			generate = jwks.GenerateTextSecret
		}
		key, err := generate(a)
		if err != nil {
			return err
		}
		kid := key.ID()
		if *airflowKID {
			if kid, err = jwks.AirflowKID(key.Private()); err != nil {
				return err
			}
		}
		if *out != "" {
			if err := jwks.WriteSigningKey(*out, key); err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, kid)
			return nil
		}
		pem, err := jwks.MarshalPrivate(key)
		if err != nil {
			return err
		}
		if _, err := c.stdout.Write(pem); err != nil {
			return err
		}
		fmt.Fprintln(c.stderr, kid)
		return nil
	}
}
