package refresh_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// A processor reads the token a provisioner keeps rotating in a file. The
// FileSource serves a token for CacheFor, keeps the last good one when the
// file goes missing, and reads the file at once on Reload, which a
// Transport calls after a 401.
func ExampleFileSource() {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	issuer, _ := exampleKeys(clock)
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "processor.token")

	// The provisioner (it holds the key) writes a new token atomically, 0600.
	names := map[token.Raw]string{}
	provision := func(name string) {
		raw, err := issuer.Processor("dag-processor")
		if err != nil {
			panic(err)
		}
		names[raw] = name
		if err := refresh.WriteTokenFile(path, raw); err != nil {
			panic(err)
		}
	}

	// The processor (it holds no key) reads the file.
	provision("first")
	src, err := refresh.NewFileSource(refresh.FileSourceConfig{
		Path: path, CacheFor: 30 * time.Second, Now: clock, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	show := func(what string, read func(context.Context) (token.Raw, error)) {
		raw, err := read(context.Background())
		if err != nil {
			panic(err)
		}
		fmt.Println(what+":", names[raw])
	}

	show("at start", src.Token)
	provision("second")
	show("just rotated", src.Token)
	now = now.Add(30 * time.Second)
	show("30s later", src.Token)
	if err := os.Remove(path); err != nil {
		panic(err)
	}
	now = now.Add(30 * time.Second)
	show("file gone", src.Token)
	provision("third")
	show("reload after a 401", src.Reload)
	// Output:
	// at start: first
	// just rotated: first
	// 30s later: second
	// file gone: second
	// reload after a 401: third
}
