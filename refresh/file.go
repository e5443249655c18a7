package refresh

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/execauth/execauth/internal/atomicfile"
	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/token"
)

const (
	// DefaultCacheFor is how long a [FileSource] serves a token before
	// reading the file again.
	DefaultCacheFor = 30 * time.Second
	// maxFileSize caps a token file read; tokens are a few hundred bytes.
	maxFileSize = 64 << 10
	// minReread spaces reads that are due early (near exp, after a failed
	// read) so that a file the provisioner is late to rotate is not read on
	// every request.
	minReread = time.Second
)

// FileSourceConfig configures a [FileSource].
type FileSourceConfig struct {
	// Path is the token file, written by a trusted provisioner (see
	// [WriteTokenFile]). Required.
	Path string
	// CacheFor is how long a token read from the file is served before the
	// file is read again. If zero, 30s is used.
	CacheFor time.Duration
	// Logger receives failed reads while the last good token is kept; the
	// token is never logged. If nil, slog.Default() is used.
	Logger *slog.Logger
	// Now returns the current time. If nil, time.Now is used.
	Now func() time.Time
	// Hooks receives an observe.FileRead for every read of the file after
	// the first (which NewFileSource reports as an error instead). If nil,
	// nothing is reported.
	Hooks *observe.Hooks
}

// FileSource is a pinned [Source] that reads a provisioned token (a processor
// token) from a file, for a component that must never hold a signing key.
//
// The file holds one token; surrounding whitespace is trimmed and the rest is
// sent as it is (the provisioner is trusted; the server verifies). A token is
// served for CacheFor, and read again sooner when its exp is near — less than
// max(1m, 25% of its lifetime) left, read from the payload without
// verification, only to schedule the read. Changes to the file are picked up
// at the next read, or at once through [FileSource.Reload], which the
// [Transport] calls after a 401; the file is not polled in between, as the
// provisioner rotates ahead of exp and the server keeps accepting the old
// token until then. When the file is missing, empty or unreadable, the last
// good token is kept and the failure logged.
//
// It is safe for concurrent use.
type FileSource struct {
	path     string
	cacheFor time.Duration
	log      *slog.Logger
	now      func() time.Time
	hooks    *observe.Hooks

	mu   sync.Mutex
	tok  token.Raw
	next time.Time // when Token reads the file again
}

var (
	_ Source   = (*FileSource)(nil)
	_ Reloader = (*FileSource)(nil)
	_ Pinner   = (*FileSource)(nil)
)

// NewFileSource validates cfg and reads the file once: a missing, empty or
// unreadable file is an error.
func NewFileSource(cfg FileSourceConfig) (*FileSource, error) {
	switch {
	case cfg.Path == "":
		return nil, fmt.Errorf("%w: no path", ErrConfig)
	case cfg.CacheFor < 0:
		return nil, fmt.Errorf("%w: negative CacheFor", ErrConfig)
	}
	s := &FileSource{path: cfg.Path, cacheFor: cfg.CacheFor, log: cfg.Logger, now: cfg.Now, hooks: cfg.Hooks}
	if s.cacheFor == 0 {
		s.cacheFor = DefaultCacheFor
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	tok, err := readTokenFile(s.path)
	if err != nil {
		return nil, err
	}
	s.tok, s.next = tok, s.schedule(tok, s.now())
	return s, nil
}

// Token returns the cached token, reading the file first when it is due.
func (s *FileSource) Token(ctx context.Context) (token.Raw, error) { return s.get(ctx, false) }

// Reload reads the file now, as after a 401.
func (s *FileSource) Reload(ctx context.Context) (token.Raw, error) { return s.get(ctx, true) }

// Pinned reports true: a provisioned token is never replaced by a token
// from a server's refresh header.
func (*FileSource) Pinned() bool { return true }

// get holds the lock across the read: a local file read is short, and
// concurrent callers then share one read instead of each doing their own.
func (s *FileSource) get(ctx context.Context, force bool) (token.Raw, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var read fileRead
	defer s.report(ctx, &read) // after the unlock below
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !force && now.Before(s.next) {
		return s.tok, nil
	}
	tok, err := readTokenFile(s.path)
	read = fileRead{done: true, e: observe.FileRead{Path: s.path, Forced: force, Changed: err == nil && tok != s.tok, Err: err}}
	if err != nil {
		s.log.WarnContext(ctx, "refresh: keeping the last token", slog.Any("err", err))
		s.next = now.Add(min(s.cacheFor, minReread))
		return s.tok, nil
	}
	s.tok, s.next = tok, s.schedule(tok, now)
	return tok, nil
}

// schedule returns when to read the file again after reading tok at now.
func (s *FileSource) schedule(tok token.Raw, now time.Time) time.Time {
	next := now.Add(s.cacheFor)
	iat, exp, ok := unverifiedTimes(string(tok))
	if !ok {
		return next
	}
	lead := time.Minute
	if !iat.IsZero() && exp.After(iat) {
		lead = max(lead, exp.Sub(iat)/4)
	}
	if early := exp.Add(-lead); early.Before(next) {
		next = early
		if soonest := now.Add(min(s.cacheFor, minReread)); next.Before(soonest) {
			next = soonest
		}
	}
	return next
}

// unverifiedTimes decodes iat and exp from a compact JWS payload without
// verifying anything. The result only schedules reads; it grants nothing.
func unverifiedTimes(raw string) (iat, exp time.Time, ok bool) {
	if !plausible(raw) {
		return iat, exp, false
	}
	payload := raw[strings.IndexByte(raw, '.')+1 : strings.LastIndexByte(raw, '.')]
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return iat, exp, false
	}
	var c struct {
		Iat *int64 `json:"iat"`
		Exp *int64 `json:"exp"`
	}
	if json.Unmarshal(b, &c) != nil || c.Exp == nil {
		return iat, exp, false
	}
	if c.Iat != nil {
		iat = time.Unix(*c.Iat, 0)
	}
	return iat, time.Unix(*c.Exp, 0), true
}

// readTokenFile reads and trims a token file. Errors name the file, never
// its content.
func readTokenFile(path string) (token.Raw, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("refresh: token file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return "", fmt.Errorf("refresh: token file: %w", err)
	}
	if len(b) > maxFileSize {
		return "", fmt.Errorf("%w: %s is larger than %d bytes", ErrTokenFile, path, maxFileSize)
	}
	s := strings.TrimSpace(string(b))
	switch {
	case s == "":
		return "", fmt.Errorf("%w: %s is empty", ErrTokenFile, path)
	case !sendable(s):
		return "", fmt.Errorf("%w: %s holds whitespace or control characters inside the token", ErrTokenFile, path)
	}
	return token.Raw(s), nil
}

// WriteTokenFile provisions raw to path for a [FileSource]: atomically (a
// reader sees the old token or the new one, never a partial file), mode 0600,
// newline terminated. raw must have the form of a compact JWS.
func WriteTokenFile(path string, raw token.Raw) error {
	if !plausible(string(raw)) {
		return fmt.Errorf("%w: not a compact JWS", ErrMalformed)
	}
	return atomicfile.Write(path, []byte(string(raw)+"\n"))
}
