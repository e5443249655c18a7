package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

const (
	testIss = "iss-zq9"
	testAud = "aud-zq9"
)

var (
	// t0 is a whole second: minted times are truncated to seconds.
	t0    = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	taskA = uuid.MustParse("7d1e4c2a-9b3f-4e8d-a6c5-1f2e3d4c5b6a")
	taskB = uuid.MustParse("c3b2a190-8f7e-4d6c-b5a4-938271605f4e")
)

// jwsPattern matches anything shaped like a compact JWS, to prove that no
// token reached an output.
var jwsPattern = regexp.MustCompile(`[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}`)

// result is what one run of the CLI produced.
type result struct {
	stdout, stderr string
	err            error
}

// runCLI runs the CLI with args and stdin, as main would.
func runCLI(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}
	err := c.run(context.Background(), args)
	return result{stdout: out.String(), stderr: errOut.String(), err: err}
}

// mintCLI runs mint for testIss and testAud with extra flags.
func mintCLI(t testing.TB, key, class, sub string, extra ...string) result {
	t.Helper()
	args := []string{"mint", "-key", key, "-iss", testIss, "-aud", testAud, "-class", class, "-sub", sub}
	return runCLI(t, "", append(args, extra...)...)
}

// keyFiles numbers key files, so that two keys never share a path.
var keyFiles atomic.Int64

// keygen makes a key file with the CLI and returns its path and kid.
func keygen(t testing.TB, dir string, alg jwks.Algorithm) (path, kid string) {
	t.Helper()
	path = filepath.Join(dir, fmt.Sprintf("%s-%d.key", strings.ToLower(string(alg)), keyFiles.Add(1)))
	r := runCLI(t, "", "keygen", "-alg", string(alg), "-out", path)
	require.NoError(t, r.err, r.stderr)
	return path, strings.TrimSpace(r.stdout)
}

// writeFile writes a test input file.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// issuerAt returns an issuer for key whose clock is at.
func issuerAt(t testing.TB, key *jwks.SigningKey, at time.Time) *token.Issuer {
	t.Helper()
	iss, err := token.NewIssuer(token.IssuerConfig{
		Keys: key, Issuer: testIss, Audience: []string{testAud}, Now: func() time.Time { return at },
	})
	require.NoError(t, err)
	return iss
}
