package refresh_test

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/execauth/execauth/refresh"
)

// FuzzFileSource writes arbitrary content to a token file and reads it with a
// FileSource. Invariants: no panic; a token that is returned has no
// surrounding whitespace and only visible ASCII (it goes into an
// Authorization field), and is the trimmed content; content whose trimmed
// form is visible ASCII is accepted; a refused file fails NewFileSource with
// ErrTokenFile and no source.
func FuzzFileSource(f *testing.F) {
	for _, seed := range []string{
		"eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjF9.c2ln\n",
		"\r\n\t eyJhbGciOiJFUzI1NiJ9.e30.c2ln \r\n",
		"",
		" \n",
		"a.b.c\nd.e.f\n",
		"a.b\x00.c",
		"\u00a0a.b.c\u0085",
		"\ufeffa.b.c",
		"a.b.c\x7f",
		"not-a-jwt",
	} {
		f.Add([]byte(seed))
	}
	path := filepath.Join(f.TempDir(), "token")
	quiet := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, content []byte) {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := refresh.NewFileSource(refresh.FileSourceConfig{Path: path, Logger: quiet})
		trimmed := strings.TrimSpace(string(content))
		if err != nil {
			if src != nil {
				t.Fatal("source returned with an error")
			}
			if !errors.Is(err, refresh.ErrTokenFile) || errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("refused with an unexpected error: %v", err)
			}
			if len(content) <= 64<<10 && visibleASCII(trimmed) {
				t.Fatalf("refused a file holding one token: %v", err)
			}
			return
		}
		for _, read := range []func() (string, error){
			func() (string, error) { tok, err := src.Token(t.Context()); return string(tok), err },
			func() (string, error) { tok, err := src.Reload(t.Context()); return string(tok), err },
		} {
			tok, err := read()
			if err != nil {
				t.Fatalf("read after a successful open: %v", err)
			}
			if tok == "" || strings.TrimFunc(tok, unicode.IsSpace) != tok {
				t.Fatal("token empty or with surrounding whitespace")
			}
			if strings.IndexFunc(tok, unicode.IsControl) >= 0 || !visibleASCII(tok) {
				t.Fatal("token holds control or non-ASCII characters")
			}
			if tok != trimmed {
				t.Fatal("token is not the trimmed file content")
			}
		}
	})
}

// visibleASCII reports whether s is non-empty and only %x21-7E.
func visibleASCII(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
