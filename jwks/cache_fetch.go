package jwks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxRedirects is how many redirects a JWK Set request may follow.
const maxRedirects = 3

// fetch is one fetch of every URL, shared by all who wait for it.
type fetch struct {
	done chan struct{}
	err  error // set before done is closed
}

// Refresh fetches every URL now, or waits for the fetch under way; it
// ignores the cooldown. It returns the fetch's error (the keys held are kept
// on failure), or one matching [ErrKeysUnavailable] if ctx ends first, which
// does not cancel the fetch for others.
func (c *Cache) Refresh(ctx context.Context) error {
	if len(c.urls) == 0 {
		return nil
	}
	f, _ := c.join(true)
	if f == nil {
		return fmt.Errorf("%w: cache closed", ErrKeysUnavailable)
	}
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrKeysUnavailable, ctx.Err())
	}
}

// awaitMiss is called after a lookup missed. It waits for the fetch under
// way or starts one if the cooldown has passed, and reports whether a fetch
// ended, so the lookup is worth repeating. During the cooldown it returns at
// once.
func (c *Cache) awaitMiss(ctx context.Context) (bool, error) {
	f, started := c.join(false)
	c.missed(ctx, f, started)
	if f == nil {
		return false, nil
	}
	select {
	case <-f.done:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// join returns the fetch under way, or starts one (started): if force, or
// else once the cooldown since the last start has passed. It returns nil
// when there are no URLs, the cache is closed or the cooldown forbids a
// fetch.
func (c *Cache) join(force bool) (f *fetch, started bool) {
	if f := c.inflight.Load(); f != nil {
		return f, false
	}
	if len(c.urls) == 0 || !force && c.now().UnixNano() < c.coolUntil.Load() {
		return nil, false // the common case during a flood of unknown kids: no lock
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.inflight.Load(); f != nil {
		return f, false
	}
	now := c.now()
	if c.life.Err() != nil || !force && now.UnixNano() < c.coolUntil.Load() {
		return nil, false
	}
	f = &fetch{done: make(chan struct{})}
	c.inflight.Store(f)
	c.coolUntil.Store(now.Add(c.cooldown).UnixNano())
	c.wg.Go(func() {
		// c.life, not a waiter's ctx: one waiter giving up must not fail
		// the fetch for the others.
		f.err = c.fetchAll(c.life)
		c.mu.Lock()
		c.inflight.Store(nil)
		c.mu.Unlock()
		close(f.done)
	})
	return f, true
}

// loop refreshes every interval until c.life ends.
func (c *Cache) loop() {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.life.Done():
			return
		case <-t.C:
			_ = c.Refresh(c.life) // waits for the fetch or for c.life to end; fetchAll reports failures
		}
	}
}

// result is what one URL gave.
type result struct {
	keys    []Key
	skipped []error
	err     error
	status  int       // HTTP status; 0 without a response
	start   time.Time // by the hooks' clock; zero without hooks
	took    time.Duration
	added   int // keys the URL's set gained; counted only with hooks
	removed int // keys it lost
}

// fetchAll fetches every URL at once, stores what succeeded, publishes the
// new view and reports every failure and skipped key. It returns the
// failures.
func (c *Cache) fetchAll(ctx context.Context) error {
	results := make([]result, len(c.urls))
	var wg sync.WaitGroup
	for i, u := range c.urls {
		wg.Go(func() {
			start := c.hooks.Time() // zero without hooks
			results[i] = c.get(ctx, u, c.names[i])
			results[i].start, results[i].took = start, c.hooks.Time().Sub(start)
		})
	}
	wg.Wait()
	now := c.now()
	c.mu.Lock()
	for i, r := range results {
		if r.err == nil {
			if c.hooks != nil { // counted only to be reported
				results[i].added, results[i].removed = lacking(c.sources[i].keys, r.keys), lacking(r.keys, c.sources[i].keys)
			}
			c.sources[i] = source{keys: r.keys, fetched: now}
		}
	}
	stale := c.crossed(c.view.Load(), now)
	dropped := c.publish(now)
	c.mu.Unlock()
	c.reportStale(stale)
	var errs []error
	for i, r := range results {
		c.reportFetch(ctx, i, r)
		for _, err := range r.skipped {
			c.report(err)
		}
		if r.err != nil {
			c.report(r.err)
			errs = append(errs, r.err)
		}
	}
	for _, err := range dropped {
		c.report(err)
	}
	return errors.Join(errs...)
}

// get fetches and parses the JWK Set at u, named name in messages.
func (c *Cache) get(ctx context.Context, u, name string) (r result) {
	body, err := c.download(ctx, u, &r.status)
	if err == nil {
		r.keys, r.skipped, err = ParseSet(body)
	}
	if err != nil {
		return result{status: r.status, err: fmt.Errorf("%w: GET %s: %w", ErrKeysUnavailable, name, err)}
	}
	for i, err := range r.skipped {
		r.skipped[i] = fmt.Errorf("%w (from %s)", err, name)
	}
	return r
}

// download returns the body of a 2xx response to GET u, refusing one longer
// than c.maxBody rather than cutting it. It sets status to the response's.
func (c *Cache) download(ctx context.Context, u string, status *int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // our message names the URL already
		}
		return nil, err
	}
	defer resp.Body.Close()
	*status = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	if resp.ContentLength > c.maxBody {
		return nil, fmt.Errorf("body of %d bytes, limit %d", resp.ContentLength, c.maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > c.maxBody {
		return nil, fmt.Errorf("body over the limit of %d bytes", c.maxBody)
	}
	return body, nil
}

// withRedirectPolicy returns a copy of base (or, if nil, a client with
// timeout) that follows at most maxRedirects redirects, each to the scheme
// and host of the first request, before base's own policy.
func withRedirectPolicy(base *http.Client, timeout time.Duration) *http.Client {
	cl := http.Client{Timeout: timeout}
	if base != nil {
		cl = *base
	}
	next := cl.CheckRedirect
	cl.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		switch {
		case len(via) > maxRedirects:
			return fmt.Errorf("more than %d redirects", maxRedirects)
		case req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host):
			return errors.New("redirect to another host refused")
		case next != nil:
			return next(req, via)
		}
		return nil
	}
	return &cl
}

// report logs a failed fetch or a key left out of a set.
func (c *Cache) report(err error) {
	c.log.LogAttrs(context.Background(), slog.LevelWarn, "jwks: JWK Set", slog.Any("err", err))
}
