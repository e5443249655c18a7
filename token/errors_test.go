package token

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notVerification lists the exported sentinels that are not verification
// errors: they never come out of Verify and need no reason code.
var notVerification = map[string]bool{
	"ErrInvalid": true, "ErrUnavailable": true, "ErrConfig": true, "ErrNotMinted": true, "ErrNarrowing": true,
}

// TestEverySentinelHasAReason walks the package's source for exported Err
// variables, so that a sentinel added without a row in the table fails here
// instead of being answered as an unclassified error.
func TestEverySentinelHasAReason(t *testing.T) {
	t.Parallel()
	byName := map[string]error{}
	for _, s := range reasons {
		byName[exportedName(t, s)] = s
	}
	fset := gotoken.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	require.NoError(t, err)
	found := 0
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, decl := range f.Decls {
				gen, ok := decl.(*ast.GenDecl)
				if !ok {
					continue
				}
				for _, spec := range gen.Specs {
					vs, ok := spec.(*ast.ValueSpec)
					if !ok {
						continue
					}
					for _, n := range vs.Names {
						if !n.IsExported() || !strings.HasPrefix(n.Name, "Err") || notVerification[n.Name] {
							continue
						}
						found++
						_, ok := byName[n.Name]
						assert.True(t, ok, "%s has no row in the reasons table", n.Name)
					}
				}
			}
		}
	}
	assert.Equal(t, len(reasons), found, "the table lists exactly the verification sentinels")
}

// exportedName finds the exported variable that holds s.
func exportedName(t *testing.T, s *reasonError) string {
	t.Helper()
	for name, v := range map[string]error{
		"ErrMalformed": ErrMalformed, "ErrUnsupported": ErrUnsupported, "ErrAlgorithm": ErrAlgorithm,
		"ErrUnknownKey": ErrUnknownKey, "ErrKeysUnavailable": ErrKeysUnavailable,
		"ErrSignature": ErrSignature, "ErrExpired": ErrExpired, "ErrNotYetValid": ErrNotYetValid,
		"ErrIssuer": ErrIssuer, "ErrAudience": ErrAudience, "ErrSubject": ErrSubject,
		"ErrScope": ErrScope, "ErrLifetime": ErrLifetime, "ErrClaims": ErrClaims,
		"ErrRevoked": ErrRevoked, "ErrRevocationUnavailable": ErrRevocationUnavailable,
	} {
		if v == s {
			return name
		}
	}
	t.Fatalf("sentinel %q is not one of the named variables", s.text)
	return ""
}

func TestReasons(t *testing.T) {
	t.Parallel()
	codes := map[string]bool{}
	for _, s := range reasons {
		wrapped := fmt.Errorf("%w: detail with kid-abc", s)
		assert.ErrorIs(t, wrapped, ErrInvalid, s.text)
		assert.Equal(t, s.code, Reason(wrapped))
		assert.Equal(t, s.text, Text(wrapped), "the detail is dropped")
		assert.Equal(t, s == ErrKeysUnavailable || s == ErrRevocationUnavailable, errors.Is(wrapped, ErrUnavailable), s.text)
		assert.Regexp(t, `^[a-z_]+$`, s.code, "codes are metric-label safe")
		assert.False(t, codes[s.code], "code %q used twice", s.code)
		codes[s.code] = true
		for _, other := range reasons {
			if other != s {
				assert.NotErrorIs(t, wrapped, other, "%s must not match %s", s.text, other.text)
			}
		}
	}
	assert.Empty(t, Reason(errors.New("token: expired")), "only the sentinels have codes")
	assert.Empty(t, Reason(nil))
	assert.NotErrorIs(t, ErrConfig, ErrInvalid)
}
