package revoke_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/execauth/execauth/revoke"
)

// clock is a frozen clock that examples move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func Example() {
	ctx := context.Background()
	c := newClock()
	list, err := revoke.NewList(ctx, revoke.Config{Store: revoke.NewMemory(c.now), Now: c.now})
	if err != nil {
		panic(err)
	}
	defer list.Close()

	issued := c.now().Add(-time.Minute)
	// One token, by its jti, until it expires.
	_ = list.RevokeToken(ctx, "jti-1", issued.Add(10*time.Minute))
	// A finished task: every token of its subject issued until now.
	_ = list.RevokeSubject(ctx, "task-7", c.now())

	for _, tok := range []struct{ jti, sub string }{{"jti-1", "task-1"}, {"jti-2", "task-1"}, {"jti-3", "task-7"}} {
		revoked, err := list.Check(tok.jti, tok.sub, issued)
		fmt.Println(tok.jti, tok.sub, revoked, err)
	}
	// A token of the task minted a second after the revocation is not revoked.
	revoked, _ := list.Check("jti-4", "task-7", c.now().Add(time.Second))
	fmt.Println("later token of task-7:", revoked)
	// Output:
	// jti-1 task-1 true <nil>
	// jti-2 task-1 false <nil>
	// jti-3 task-7 true <nil>
	// later token of task-7: false
}

func ExampleList_Check_stale() {
	ctx := context.Background()
	c := newClock()
	// No background sync runs within the example: it polls once an hour.
	list, err := revoke.NewList(ctx, revoke.Config{
		Store: revoke.NewMemory(c.now), Now: c.now, PollInterval: time.Hour, MaxStale: 2 * time.Hour,
	})
	if err != nil {
		panic(err)
	}
	defer list.Close()

	// No sync for longer than MaxStale (the clock moved, no sync ran): the
	// answer cannot be trusted, so the caller fails closed.
	c.add(2*time.Hour + time.Second)
	_, err = list.Check("jti-1", "task-1", c.now())
	fmt.Println(errors.Is(err, revoke.ErrUnavailable))

	// A sync brings the view up to date again.
	fmt.Println(list.Sync(ctx))
	_, err = list.Check("jti-1", "task-1", c.now())
	fmt.Println(err)
	// Output:
	// true
	// <nil>
	// <nil>
}

func ExampleMemory_FirstExchange() {
	ctx := context.Background()
	c := newClock()
	store := revoke.NewMemory(c.now)
	first := c.now()

	at, _ := store.FirstExchange(ctx, "task-1", first, first.Add(24*time.Hour))
	fmt.Println(at.UTC().Format(time.TimeOnly))
	// A retry a minute later, maybe on another replica, keeps the first time.
	c.add(time.Minute)
	at, _ = store.FirstExchange(ctx, "task-1", c.now(), first.Add(24*time.Hour))
	fmt.Println(at.UTC().Format(time.TimeOnly))
	// Output:
	// 12:00:00
	// 12:00:00
}
