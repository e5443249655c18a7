package jwks_test

import (
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

// parseSetBudget bounds one ParseSet call on fuzzer input. Generous, so a
// loaded machine does not fail it; a quadratic path on a few kilobytes
// would still exceed it.
const parseSetBudget = 2 * time.Second

// FuzzParseSet feeds arbitrary bytes to ParseSet, seeded with the mixed set
// of good and hostile keys in testdata/ingest. Invariants: no panic, bounded
// time; every key returned passes NewKey's rules again (bound to one
// asymmetric alg, RSA of 2048 bits or more) and has a kid no other returned
// key has; an error comes alone and matches ErrMalformed.
func FuzzParseSet(f *testing.F) {
	mixed, err := os.ReadFile(filepath.Join("testdata", "ingest", "mixed.json"))
	require.NoError(f, err)
	for _, seed := range []string{
		string(mixed),
		`{"keys":[]}`,
		`{"keys":[{"kty":"oct","k":"AAAA","alg":"HS256"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}`,
		`{"keys":null}`,
		`{"keys":[],"keys":[]}`,
		`[]`,
		`{"keys":[{"kid":"a"},{"kid":"a"}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		keys, skipped, err := jwks.ParseSet(data)
		if took := time.Since(start); took > parseSetBudget {
			t.Fatalf("ParseSet took %s on %d bytes", took, len(data))
		}
		if err != nil {
			if keys != nil || skipped != nil {
				t.Fatal("keys or reports returned with an error")
			}
			if !errors.Is(err, jwks.ErrMalformed) {
				t.Fatalf("document error outside ErrMalformed: %v", err)
			}
			return
		}
		kids := make(map[string]bool, len(keys))
		for _, k := range keys {
			checkIngested(t, k, len(keys))
			if kids[k.ID()] {
				t.Fatal("two returned keys share a kid")
			}
			kids[k.ID()] = true
		}
	})
}

// checkIngested fails unless k, one of n keys from a set, would be built again
// by NewKey as it is and breaks none of the rules for remote keys.
func checkIngested(t *testing.T, k jwks.Key, n int) {
	t.Helper()
	if k.IsSymmetric() || k.Algorithm() == "" {
		t.Fatalf("returned a key bound to %q (symmetric: %t)", k.Algorithm(), k.IsSymmetric())
	}
	if n > 1 && k.ID() == "" {
		t.Fatal("returned a key without kid among several")
	}
	if k.ID() != "" && !jwks.ValidKID(k.ID()) {
		t.Fatal("returned a key with an invalid kid")
	}
	if pub, ok := k.Material().(*rsa.PublicKey); ok && pub.N.BitLen() < jwks.MinRSABits {
		t.Fatalf("returned an RSA key of %d bits", pub.N.BitLen())
	}
	again, err := jwks.NewKey(k.ID(), k.Algorithm(), k.Material())
	if err != nil {
		t.Fatalf("a returned key fails NewKey: %v", err)
	}
	if again.Algorithm() != k.Algorithm() || again.ID() != k.ID() {
		t.Fatal("NewKey binds a returned key differently")
	}
}
