package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// Demo settings: short lifetimes, so that the reissue window (the last
// max(20%, 30s) of an execution token) is reached by a small clock step.
var demoTTL = token.Lifetimes{Workload: 10 * time.Minute, Execution: time.Minute, Processor: 10 * time.Minute}

const (
	demoIssuer   = "execauth-demo"
	demoAudience = "execution-api"
	demoConn     = "demo_db"
	demoHostname = "demo-worker"
	demoPID      = 4242
)

// demo runs the reference server in-process on a free loopback port with a
// fresh key, then a client through the whole token flow, printing each step.
// Server and client share a clock that the demo moves forward where a step
// needs time to pass, so the demo is quick and its outcome does not depend on
// the machine's speed.
func (c *cli) demo(fs *flag.FlagSet) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := noArgs(fs); err != nil {
			return err
		}
		return runDemo(ctx, c.stdout, c.stderr)
	}
}

// demoClock is the wall clock plus an offset the demo advances.
type demoClock struct{ offset atomic.Int64 }

func (c *demoClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *demoClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// demoRun is the state of one demo run.
type demoRun struct {
	ctx      context.Context
	out      io.Writer
	log      *slog.Logger
	clock    demoClock
	srv      *server
	base     string // the server's URL
	conns    *http.Transport
	dir      string // holds the provisioned processor token
	task     uuid.UUID
	workload token.Raw    // the task's workload token, from step 1
	worker   *http.Client // the worker's client, holding its execution token, from step 2
	step     int
	failed   []int // steps with a ✗

	mu   sync.Mutex
	last *token.Claims // the claims of the last request the server authenticated
}

func runDemo(ctx context.Context, stdout, stderr io.Writer) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &demoRun{ctx: ctx, out: stdout, log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	key, err := jwks.Generate(jwks.EdDSA)
	if err != nil {
		return err
	}
	d.srv, err = newServer(ctx, serverConfig{
		key: key, issuer: demoIssuer, audience: []string{demoAudience},
		ttl: demoTTL, now: d.clock.now, log: d.log, observe: d.observe,
	})
	if err != nil {
		return err
	}
	defer d.srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- serveOn(ctx, ln, d.srv, d.log) }()
	defer func() {
		cancel()
		if serr := <-served; err == nil {
			err = serr
		}
	}()
	d.base = "http://" + ln.Addr().String()
	d.conns = &http.Transport{}
	defer d.conns.CloseIdleConnections()
	if d.dir, err = os.MkdirTemp("", "execauth-demo-"); err != nil {
		return err
	}
	defer os.RemoveAll(d.dir)
	if d.task, err = uuid.NewRandom(); err != nil {
		return err
	}

	d.printf("execauth demo: the token flow of an execution API, step by step\n\n")
	d.printf("server  %s  (iss %q, aud %q, %s key %s)\n", d.base, demoIssuer, demoAudience, key.Algorithm(), short(key.ID()))
	d.printf("tokens  workload %v, execution %v, processor %v, parse %v\n", demoTTL.Workload, demoTTL.Execution, demoTTL.Processor, parseTTL)
	d.printf("clock   server and client share a demo clock, moved forward instead of sleeping\n")
	d.printf("task    %s\n", d.task)
	if err := d.steps(); err != nil {
		return err
	}
	if len(d.failed) > 0 {
		d.printf("\n✗ %d of %d steps misbehaved: %v\n", len(d.failed), d.step, d.failed)
		return fmt.Errorf("%w: steps %v misbehaved", errDemo, d.failed)
	}
	d.printf("\n✓ all %d steps behaved as designed\n", d.step)
	return nil
}

func (d *demoRun) observe(c *token.Claims) {
	d.mu.Lock()
	d.last = c
	d.mu.Unlock()
}

// lastSeen returns the jti of the last token the server authenticated.
func (d *demoRun) lastSeen() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == nil {
		return ""
	}
	return d.last.ID
}

func (d *demoRun) printf(format string, args ...any) { fmt.Fprintf(d.out, format, args...) }

// title starts the next step.
func (d *demoRun) title(format string, args ...any) {
	d.step++
	d.printf("\n%d. %s\n", d.step, fmt.Sprintf(format, args...))
}

// check prints a ✓ or ✗ line and remembers a failed step. It returns ok.
func (d *demoRun) check(ok bool, format string, args ...any) bool {
	mark := "✓"
	if !ok {
		mark = "✗"
		if n := len(d.failed); n == 0 || d.failed[n-1] != d.step {
			d.failed = append(d.failed, d.step)
		}
	}
	d.printf("   %s %s\n", mark, fmt.Sprintf(format, args...))
	return ok
}

// reply is what came back for a request.
type reply struct {
	status int
	header http.Header
	body   string
}

// send sends a request, through client's transport if tok is empty, or with
// tok as the bearer token on a plain client. It prints what was sent and
// what came back (never a token).
func (d *demoRun) send(client *http.Client, tok token.Raw, bearer, method, path, body string) (reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(d.ctx, method, d.base+path, rd)
	if err != nil {
		return reply{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+string(tok))
		client = &http.Client{Transport: d.conns, Timeout: 10 * time.Second}
	}
	line := method + " " + d.shortPath(path)
	if body != "" {
		line += " " + body
	}
	d.printf("   → %s  (bearer: %s)\n", line, bearer)
	resp, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return reply{}, err
	}
	r := reply{status: resp.StatusCode, header: resp.Header, body: string(bytes.TrimSpace(b))}
	if r.body == "" {
		d.printf("   ← %d\n", r.status)
	} else {
		d.printf("   ← %d %s\n", r.status, tokenShape.ReplaceAllString(r.body, "<token>"))
	}
	return r, nil
}

// tokenShape matches a compact JWS, so that a token handed out in a response
// body (a parse token) is not printed.
var tokenShape = regexp.MustCompile(`[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}`)

// client returns an HTTP client whose transport sends src's token to the
// server and swaps in the tokens it hands back (unless src is pinned).
func (d *demoRun) client(src refresh.Source) (*http.Client, error) {
	tr, err := refresh.NewTransport(refresh.TransportConfig{Base: d.conns, Source: src, BaseURL: d.base})
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, nil
}

// inspect verifies a token the demo holds, to show its class and jti.
func (d *demoRun) inspect(raw string) (*token.Claims, error) {
	return d.srv.verifier.Verify(d.ctx, raw)
}

// shortPath shortens the task id in a path for display.
func (d *demoRun) shortPath(p string) string {
	return strings.Replace(p, d.task.String(), short(d.task.String()), 1)
}

// short returns the first 8 characters of an id, for display.
func short(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:8] + "…"
}
