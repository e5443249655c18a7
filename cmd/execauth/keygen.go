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
// base64url text. With -out the file is written atomically with mode 0600 and
// the kid goes to stdout; otherwise the key goes to stdout and the kid to
// stderr, so that `keygen > key.pem` captures the key alone.
func (c *cli) keygen(fs *flag.FlagSet) func(context.Context) error {
	alg := fs.String("alg", string(jwks.EdDSA), "algorithm: EdDSA, ES256, ES384, RS256 or HS512")
	out := fs.String("out", "", "write the key to `FILE` (mode 0600) instead of stdout")
	return func(context.Context) error {
		if err := noArgs(fs); err != nil {
			return err
		}
		if !slices.Contains(keygenAlgs, jwks.Algorithm(*alg)) {
			return usagef("-alg must be one of %v", keygenAlgs)
		}
		key, err := jwks.Generate(jwks.Algorithm(*alg))
		if err != nil {
			return err
		}
		if *out != "" {
			if err := jwks.WriteSigningKey(*out, key); err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, key.ID())
			return nil
		}
		pem, err := jwks.MarshalPrivate(key)
		if err != nil {
			return err
		}
		if _, err := c.stdout.Write(pem); err != nil {
			return err
		}
		fmt.Fprintln(c.stderr, key.ID())
		return nil
	}
}
