package securitytest

// The repository documents its rules twice over: the README and SECURITY.md
// carry the same rejection tables, SECURITY.md names the tests that prove
// each rule, and comments name SECURITY.md's sections. These tests keep all
// of it true to the code.

import (
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/token"
)

// repoRoot is the repository's top directory, seen from this package.
const repoRoot = "../.."

// Header rows of the two rejection tables.
const (
	responseTable = "| request | status | `WWW-Authenticate` | body `detail` |"
	reasonTable   = "| code | sentinel | status |"
)

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	require.NoError(t, err)
	return string(b)
}

// table returns the rows of the Markdown table of doc whose header row is
// header, without the header and its delimiter row.
func table(t *testing.T, doc, header string) []string {
	t.Helper()
	lines := strings.Split(doc, "\n")
	start := slices.Index(lines, header)
	require.GreaterOrEqual(t, start, 0, "no table %s", header)
	var rows []string
	for _, l := range lines[start+2:] {
		if !strings.HasPrefix(l, "|") {
			break
		}
		rows = append(rows, l)
	}
	return rows
}

// cells splits a table row into its trimmed cells.
func cells(row string) []string {
	parts := strings.Split(strings.Trim(row, "|"), " | ")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// TestDocumentedReasons: the README and SECURITY.md show the same two
// rejection tables, every reason code of the code is in them, and each row's
// code and status are what middleware.Error and middleware.WriteError give
// its sentinel.
func TestDocumentedReasons(t *testing.T) {
	t.Parallel()
	readme, security := readRepoFile(t, "README.md"), readRepoFile(t, "SECURITY.md")
	for _, header := range []string{responseTable, reasonTable} {
		assert.Equal(t, table(t, readme, header), table(t, security, header), "README.md and SECURITY.md differ in %s", header)
	}

	sentinels := map[string]error{
		"middleware.ErrNoCredentials": middleware.ErrNoCredentials, "middleware.ErrInvalidRequest": middleware.ErrInvalidRequest,
		"middleware.ErrInsufficientScope": middleware.ErrInsufficientScope, "middleware.ErrSubjectMismatch": middleware.ErrSubjectMismatch,
		"middleware.ErrBindingMismatch": middleware.ErrBindingMismatch,
		"middleware.ErrNoClaims":        middleware.ErrNoClaims, "middleware.ErrInternal": middleware.ErrInternal,
		"token.ErrMalformed": token.ErrMalformed, "token.ErrUnsupported": token.ErrUnsupported,
		"token.ErrAlgorithm": token.ErrAlgorithm, "token.ErrUnknownKey": token.ErrUnknownKey,
		"token.ErrKeysUnavailable": token.ErrKeysUnavailable, "token.ErrSignature": token.ErrSignature,
		"token.ErrExpired": token.ErrExpired, "token.ErrNotYetValid": token.ErrNotYetValid,
		"token.ErrIssuer": token.ErrIssuer, "token.ErrAudience": token.ErrAudience,
		"token.ErrSubject": token.ErrSubject, "token.ErrScope": token.ErrScope,
		"token.ErrLifetime": token.ErrLifetime, "token.ErrClaims": token.ErrClaims,
		"token.ErrRevoked": token.ErrRevoked, "token.ErrRevocationUnavailable": token.ErrRevocationUnavailable,
	}
	var documented []string
	for _, row := range table(t, security, reasonTable) {
		c := cells(row)
		require.Len(t, c, 3, row)
		code := strings.Trim(c[0], "`")
		name := strings.Trim(strings.SplitN(c[1], ",", 2)[0], "`")
		documented = append(documented, code)
		err, ok := sentinels[name]
		if !assert.True(t, ok, "row %q names no known sentinel", row) {
			continue
		}
		assert.Equal(t, code, (&middleware.Error{Err: err}).Reason(), name)
		rec := httptest.NewRecorder()
		middleware.WriteError(rec, err, "")
		assert.Equal(t, c[2], strconv.Itoa(rec.Code), name)
	}

	// The codes the source defines: token's newReason/newUnavailable rows and
	// middleware's causes table. A new one must be documented.
	defined := regexp.MustCompile(`(?:newReason|newUnavailable)\("[^"]*", "([a-z_]+)"\)|\{Err\w+, "([a-z_]+)"\}`)
	var inSource []string
	for _, file := range []string{"token/errors.go", "middleware/errors.go"} {
		for _, m := range defined.FindAllStringSubmatch(readRepoFile(t, file), -1) {
			inSource = append(inSource, m[1]+m[2])
		}
	}
	require.NotEmpty(t, inSource)
	assert.ElementsMatch(t, inSource, documented, "reason codes in the source and in the tables")
}

// testFuncs maps each Test and Fuzz function of the repository's test files
// to the files, relative to the repository root, that define it.
func testFuncs(t *testing.T) map[string][]string {
	t.Helper()
	def := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)\w+)\(`)
	funcs := map[string][]string{}
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != repoRoot {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(repoRoot, path)
		if err != nil {
			return err
		}
		for _, m := range def.FindAllStringSubmatch(string(b), -1) {
			funcs[m[1]] = append(funcs[m[1]], filepath.ToSlash(rel))
		}
		return nil
	})
	require.NoError(t, err)
	return funcs
}

// TestSecurityNamesRealTests: every test SECURITY.md names exists, in the
// file it names (a file in parentheses follows the tests it holds).
func TestSecurityNamesRealTests(t *testing.T) {
	t.Parallel()
	funcs := testFuncs(t)
	ref := regexp.MustCompile("`((?:Test|Fuzz)\\w+)`|\\(([\\w./-]+_test\\.go)\\)")
	named := 0
	for _, line := range strings.Split(readRepoFile(t, "SECURITY.md"), "\n") {
		var pending []string
		for _, m := range ref.FindAllStringSubmatch(line, -1) {
			if m[1] != "" {
				pending = append(pending, m[1])
				named++
				continue
			}
			for _, name := range pending {
				assert.Contains(t, funcs[name], m[2], "SECURITY.md: %s is not in %s", name, m[2])
			}
			pending = nil
		}
		for _, name := range pending {
			assert.NotEmpty(t, funcs[name], "SECURITY.md names %s, which no test file defines", name)
		}
	}
	assert.Greater(t, named, 50, "SECURITY.md names the tests behind its rules")
}

// TestReferencedSectionsExist: a comment or document that names a section of
// SECURITY.md (such as SECURITY.md "Claims") names one it has.
func TestReferencedSectionsExist(t *testing.T) {
	t.Parallel()
	var sections []string
	for _, line := range strings.Split(readRepoFile(t, "SECURITY.md"), "\n") {
		if strings.HasPrefix(line, "#") {
			sections = append(sections, strings.TrimSpace(strings.TrimLeft(line, "#")))
		}
	}
	ref := regexp.MustCompile(`SECURITY\.md,? \(?"([^"]+)"`)
	found := 0
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != repoRoot {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".md")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			found++
			assert.Contains(t, sections, m[1], "%s names a section SECURITY.md does not have", path)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Positive(t, found)
}
