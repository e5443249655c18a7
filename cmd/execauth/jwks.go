package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/execauth/execauth/internal/atomicfile"
	"github.com/execauth/execauth/jwks"
)

// jwks prints the public JWK Set of one or more key files, in the order
// given: several keys are a rotation (the active key and the ones around it).
// With -out it writes the set to a file instead, atomically and with mode
// 0600 like every file the CLI writes.
func (c *cli) jwks(fs *flag.FlagSet) func(context.Context) error {
	var files listFlag
	fs.Var(&files, "key", "private or public key `FILE` (repeat for several keys)")
	out := fs.String("out", "", "write the JWK Set to `FILE` (atomically, mode 0600) instead of stdout")
	airflowKID := fs.Bool("airflow-kid", false, "name each key by the key id Airflow derives (RSA, Ed25519) instead of the RFC 7638 thumbprint")
	return func(context.Context) error {
		if err := noArgs(fs); err != nil {
			return err
		}
		if err := required(fs, "key"); err != nil {
			return err
		}
		keys := make([]jwks.Key, 0, len(files))
		for _, f := range files {
			kf := keyFlags{file: f, airflowKID: *airflowKID}
			k, err := kf.public(c.stderr)
			if err != nil {
				return err
			}
			if k.IsSymmetric() {
				return fmt.Errorf("%s: %w: an HMAC secret is never published", f, jwks.ErrUnsupportedKey)
			}
			keys = append(keys, k)
		}
		set, err := jwks.MarshalSet(keys...)
		if err != nil {
			return err
		}
		set = append(set, '\n')
		if *out != "" {
			return atomicfile.Write(*out, set)
		}
		_, err = c.stdout.Write(set)
		return err
	}
}

// readPublic reads the verification key of a key file: the public half of a
// private key, a PKIX public key, or an HMAC secret. An empty kid becomes the
// key's default id, the same one its signing key has.
func readPublic(path, kid string) (jwks.Key, error) {
	data, err := readFile(path)
	if err != nil {
		return jwks.Key{}, err
	}
	k, err := jwks.ParsePublic(data, kid, "")
	if err != nil {
		return jwks.Key{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// maxKeyFile caps a key or JWK Set file read; an RSA key is under 2 KiB.
const maxKeyFile = 1 << 20

// readFile reads a key or JWK Set file of at most maxKeyFile bytes.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readAll(f, maxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// readAll reads r to the end, failing when it holds more than limit bytes.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than %d bytes", limit)
	}
	return data, nil
}
