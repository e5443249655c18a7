package refresh

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
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
	// maxTime is the last second of year 9999: a larger exp or iat would
	// wrap around in time.Unix (the verifier refuses such tokens too).
	maxTime = 253402300799
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
// The path must name a regular file. It is opened without blocking and
// checked on the open descriptor, so a FIFO (which would block until a
// writer comes), a device or a directory is refused like an unreadable file;
// at most 64 KiB are read. A symbolic link is followed: the provisioner may
// swap a link to a new file, as Kubernetes does for projected volumes, and
// what counts is the file it names. A file that its group or other users
// may write is still read, but reported once through the Logger at Warn:
// whoever can write it chooses the token sent.
//
// It is safe for concurrent use. The file is read without holding the lock:
// concurrent callers that need a read share one, each stops waiting when its
// context ends (the read goes on for the others), and callers the cache can
// serve never wait for a read.
type FileSource struct {
	path     string
	cacheFor time.Duration
	log      *slog.Logger
	now      func() time.Time
	hooks    *observe.Hooks
	readFile func(path string) (token.Raw, fs.FileMode, error) // readTokenFile; tests stall it

	mu      sync.Mutex
	tok     token.Raw
	next    time.Time     // when Token reads the file again
	reading *inflightRead // the read in flight, if any
	warned  bool          // loose permissions were reported
}

// inflightRead is one read of the file, shared by the callers waiting for it.
type inflightRead struct {
	done chan struct{}
	tok  token.Raw // once done: the token read, or the last good one
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
	s := &FileSource{
		path: cfg.Path, cacheFor: cfg.CacheFor, log: cfg.Logger, now: cfg.Now, hooks: cfg.Hooks, readFile: readTokenFile,
	}
	if s.cacheFor == 0 {
		s.cacheFor = DefaultCacheFor
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	tok, mode, err := s.readFile(s.path)
	if err != nil {
		return nil, err
	}
	s.tok, s.next = tok, s.schedule(tok, s.now())
	s.warnMode(mode)
	return s, nil
}

// Token returns the cached token, reading the file first when it is due.
func (s *FileSource) Token(ctx context.Context) (token.Raw, error) { return s.get(ctx, false) }

// Reload reads the file now, as after a 401.
func (s *FileSource) Reload(ctx context.Context) (token.Raw, error) { return s.get(ctx, true) }

// Pinned reports true: a provisioned token is never replaced by a token
// from a server's refresh header.
func (*FileSource) Pinned() bool { return true }

// get serves the cached token, or waits for a read of the file: the one in
// flight, or a new one.
func (s *FileSource) get(ctx context.Context, force bool) (token.Raw, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	if !force && s.now().Before(s.next) {
		tok := s.tok
		s.mu.Unlock()
		return tok, nil
	}
	r := s.reading
	if r == nil {
		r = &inflightRead{done: make(chan struct{})}
		s.reading = r
		go s.read(context.WithoutCancel(ctx), r, force)
	}
	s.mu.Unlock()
	select {
	case <-r.done:
		return r.tok, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// read reads the file outside the lock (a slow file system may block it)
// and hands the result to s and to the callers waiting on r, after the
// hooks (which run without the lock: a hook may call Token). ctx is the
// caller's that started the read, without its cancellation. A failed read
// keeps the last good token and is retried after minReread at the soonest.
func (s *FileSource) read(ctx context.Context, r *inflightRead, force bool) {
	tok, mode, err := s.readFile(s.path)
	s.mu.Lock()
	e := observe.FileRead{Path: s.path, Forced: force, Changed: err == nil && tok != s.tok, Err: err}
	now := s.now()
	if err == nil {
		s.tok, s.next = tok, s.schedule(tok, now)
	} else {
		s.next = now.Add(min(s.cacheFor, minReread))
	}
	r.tok, s.reading = s.tok, nil
	s.mu.Unlock()
	if err != nil {
		s.log.WarnContext(ctx, "refresh: keeping the last token", slog.Any("err", err))
	} else {
		s.warnMode(mode)
	}
	s.hooks.FileRead(ctx, e)
	close(r.done)
}

// warnMode reports, once, a token file that its group or others may write.
// Windows has no such bits.
func (s *FileSource) warnMode(mode fs.FileMode) {
	if mode.Perm()&0o022 == 0 || runtime.GOOS == "windows" {
		return
	}
	s.mu.Lock()
	first := !s.warned
	s.warned = true
	s.mu.Unlock()
	if first {
		s.log.Warn("refresh: token file is writable by group or others",
			slog.String("path", s.path), slog.String("mode", mode.Perm().String()))
	}
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
	inRange := func(t *int64) bool { return t != nil && *t >= 0 && *t <= maxTime }
	if json.Unmarshal(b, &c) != nil || !inRange(c.Exp) {
		return iat, exp, false
	}
	if inRange(c.Iat) {
		iat = time.Unix(*c.Iat, 0)
	}
	return iat, time.Unix(*c.Exp, 0), true
}

// readTokenFile reads and trims a token file, and returns its mode. The
// file is opened without blocking (a FIFO would wait for a writer) and must
// be a regular file, checked before opening (opening a device can have
// effects) and again on the open descriptor. Errors name the file, never
// its content.
func readTokenFile(path string) (token.Raw, fs.FileMode, error) {
	if info, err := os.Stat(path); err != nil {
		return "", 0, fmt.Errorf("refresh: token file: %w", err)
	} else if !info.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%w: %s is not a regular file (%s)", ErrTokenFile, path, info.Mode().Type())
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", 0, fmt.Errorf("refresh: token file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", 0, fmt.Errorf("refresh: token file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%w: %s is not a regular file (%s)", ErrTokenFile, path, info.Mode().Type())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return "", 0, fmt.Errorf("refresh: token file: %w", err)
	}
	if len(b) > maxFileSize {
		return "", 0, fmt.Errorf("%w: %s is larger than %d bytes", ErrTokenFile, path, maxFileSize)
	}
	s := strings.TrimSpace(string(b))
	switch {
	case s == "":
		return "", 0, fmt.Errorf("%w: %s is empty", ErrTokenFile, path)
	case !sendable(s):
		return "", 0, fmt.Errorf("%w: %s holds whitespace or control characters inside the token", ErrTokenFile, path)
	}
	return token.Raw(s), info.Mode(), nil
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
