package jwks_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/execauth/execauth/jwks"
)

// A key directory through one rotation: the next key is published, then
// activated; the replaced key retires and, once its tokens have expired,
// is removed. Every replica opens the same directory with OpenDir and
// follows these changes within its Reload interval.
func ExampleOpenDir() {
	base, err := os.MkdirTemp("", "keys")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(base)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	named := func(kid string) *jwks.SigningKey {
		k, err := jwks.Generate(jwks.EdDSA)
		if err != nil {
			panic(err)
		}
		if k, err = jwks.NewSigningKey(kid, "", k.Private()); err != nil {
			panic(err)
		}
		return k
	}
	cfg := jwks.DirConfig{
		Path:        filepath.Join(base, "keys"),
		RetireAfter: 10*time.Minute + 10*time.Second + 10*time.Second, // token lifetime + leeway + reload
		Now:         func() time.Time { return now },
		Logger:      slog.New(slog.DiscardHandler),
	}
	ctx := context.Background()
	dir, err := jwks.InitDir(ctx, cfg, named("2025-06"))
	if err != nil {
		panic(err)
	}
	defer dir.Close()
	list := func(step string) {
		fmt.Println(step)
		for _, k := range dir.Keys() {
			fmt.Printf("  %s %s %s", k.ID, k.State, k.Since.Format(time.TimeOnly))
			if !k.RetiresAt.IsZero() {
				fmt.Printf(" until %s", k.RetiresAt.Format(time.TimeOnly))
			}
			fmt.Println()
		}
	}

	if err := dir.Publish(ctx, named("2025-07")); err != nil {
		panic(err)
	}
	list("published:")
	now = now.Add(time.Hour) // every verifier has refreshed since
	if err := dir.Activate(ctx, "2025-07"); err != nil {
		panic(err)
	}
	list("activated:")
	now = now.Add(11 * time.Minute)
	list("retired:")
	if err := dir.Remove(ctx, "2025-06"); err != nil {
		panic(err)
	}
	list("removed:")
	fmt.Println("signs:", dir.Active().ID())
	// Output:
	// published:
	//   2025-06 active 12:00:00
	//   2025-07 published 12:00:00
	// activated:
	//   2025-06 retiring 13:00:00 until 13:10:20
	//   2025-07 active 13:00:00
	// retired:
	//   2025-06 retired 13:00:00 until 13:10:20
	//   2025-07 active 13:00:00
	// removed:
	//   2025-07 active 13:00:00
	// signs: 2025-07
}
