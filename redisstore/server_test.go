package redisstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Where the Redis tests run:
//   - EXECAUTH_REDIS_ADDR (host:port) names a real server that tests share
//     without stopping it; each test uses keys of its own. In CI (CI set)
//     it is required.
//   - Tests that stop and restart Redis start their own redis-server (with
//     AOF, in a temporary directory) when the binary is on PATH; in CI it is
//     required.
//   - Otherwise the tests run against miniredis, in process.

// server is a Redis server that a test may stop and start again.
type server interface {
	Addr() string
	// Kill stops the server at once, as a crash would.
	Kill(t *testing.T)
	// Start starts it again on the same address with the same data files.
	Start(t *testing.T)
	Real() bool
}

// sharedAddr returns the address of a server for tests that do not stop it.
func sharedAddr(t testing.TB) string {
	if addr := os.Getenv("EXECAUTH_REDIS_ADDR"); addr != "" {
		return addr
	}
	if os.Getenv("CI") != "" {
		t.Fatal("EXECAUTH_REDIS_ADDR must name a running redis-server in CI")
	}
	return startServer(t).Addr()
}

// startServer starts a server of the test's own, stopped after it.
func startServer(t testing.TB) server {
	if path, err := exec.LookPath("redis-server"); err == nil {
		return startReal(t, path)
	}
	if os.Getenv("CI") != "" {
		t.Fatal("redis-server must be on PATH in CI")
	}
	m := miniredis.NewMiniRedis()
	require.NoError(t, m.Start())
	t.Cleanup(m.Close)
	return miniServer{m}
}

type miniServer struct{ m *miniredis.Miniredis }

func (s miniServer) Addr() string       { return s.m.Addr() }
func (s miniServer) Kill(*testing.T)    { s.m.Close() }
func (s miniServer) Start(t *testing.T) { require.NoError(t, s.m.Restart()) }
func (s miniServer) Real() bool         { return false }

// realServer is a redis-server process listening on 127.0.0.1 only, with
// AOF fsynced on every write.
type realServer struct {
	path, dir, addr string
	cmd             *exec.Cmd
}

func startReal(t testing.TB, path string) *realServer {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	s := &realServer{path: path, dir: t.TempDir(), addr: addr}
	s.start(t)
	t.Cleanup(func() {
		if s.cmd != nil {
			_ = s.cmd.Process.Signal(syscall.SIGKILL)
			_ = s.cmd.Wait()
		}
	})
	return s
}

func (s *realServer) Addr() string { return s.addr }
func (s *realServer) Real() bool   { return true }

func (s *realServer) start(t testing.TB) {
	_, port, _ := net.SplitHostPort(s.addr)
	s.cmd = exec.Command(s.path, "--bind", "127.0.0.1", "--port", port, "--dir", s.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
		"--protected-mode", "yes", "--logfile", "")
	s.cmd.Stdout, s.cmd.Stderr = nil, nil
	require.NoError(t, s.cmd.Start())
	c := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not answer on %s within 10s", s.addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *realServer) Start(t *testing.T) { s.start(t) }

func (s *realServer) Kill(t *testing.T) {
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGKILL))
	_ = s.cmd.Wait()
	s.cmd = nil
}

// newClient returns a client of addr that gives up quickly, closed after
// the test.
func newClient(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr: addr, MaxRetries: 1, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix returns a key prefix of the test's own, so tests can share a
// server; its keys are deleted after the test.
func testPrefix(t testing.TB, c *redis.Client) string {
	p := fmt.Sprintf("{execauth-test-%s}:", rand.Text()[:12])
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, p+"*", 1000).Iterator()
		for iter.Next(ctx) {
			_ = c.Del(ctx, iter.Val()).Err()
		}
	})
	return p
}
