package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/refresh"
)

// TestFleet runs real `execauth serve` processes that share a Redis: a
// redis-server started here (AOF on, in a temporary directory) when the
// binary is on PATH, which CI requires; otherwise miniredis on a TCP port.
func TestFleet(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "execauth")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	dir := t.TempDir()
	key, _ := keygen(t, dir, "EdDSA")
	rds := startRedis(t)
	url := "redis://" + rds.addr() + "/0"

	a, b, c := startServe(t, bin, key, url), startServe(t, bin, key, url), startServe(t, bin, key, url)
	task := uuid.NewString()
	workload := mintReal(t, key, "workload", task)

	r := fleetDo(t, a.url, http.MethodPatch, "/task-instances/"+task+"/run", workload, runBodyA)
	require.Equal(t, http.StatusOK, r.status, r.body)
	execTok := r.header.Get(refresh.DefaultHeader)
	require.NotEmpty(t, execTok)
	require.Equal(t, http.StatusNoContent, fleetDo(t, b.url, http.MethodPut, "/task-instances/"+task+"/heartbeat", execTok, "").status,
		"run on one replica, heartbeat on another")

	// A second task keeps running through the faults below.
	other := uuid.NewString()
	r = fleetDo(t, b.url, http.MethodPatch, "/task-instances/"+other+"/run", mintReal(t, key, "workload", other), runBodyA)
	require.Equal(t, http.StatusOK, r.status, r.body)
	otherTok := r.header.Get(refresh.DefaultHeader)

	require.Equal(t, http.StatusNoContent, fleetDo(t, c.url, http.MethodPatch, "/task-instances/"+task+"/state", execTok, `{"state":"success"}`).status,
		"finished on a third")
	for _, s := range []*serveProc{a, b, c} {
		waitStatus(t, s.url, task, execTok, http.StatusUnauthorized)
	}

	// kill -9 of a replica loses nothing: a new one refuses at once.
	b.kill(t)
	b = startServe(t, bin, key, url)
	assert.Equal(t, http.StatusUnauthorized, fleetDo(t, b.url, http.MethodPut, "/task-instances/"+task+"/heartbeat", execTok, "").status)
	assert.Equal(t, http.StatusNoContent, fleetDo(t, b.url, http.MethodPut, "/task-instances/"+other+"/heartbeat", otherTok, "").status)

	// Redis stops: 503 with Retry-After; never 401 for a valid token, never
	// an accepted revoked one.
	rds.stop(t)
	deadline := time.Now().Add(20 * time.Second)
	for unavailable := false; !unavailable; {
		require.True(t, time.Now().Before(deadline), "no 503 within 20s of stopping Redis")
		unavailable = true
		for _, s := range []*serveProc{a, b, c} {
			r := fleetDo(t, s.url, http.MethodPut, "/task-instances/"+other+"/heartbeat", otherTok, "")
			require.Contains(t, []int{http.StatusNoContent, http.StatusServiceUnavailable}, r.status, "a valid token during the outage: %s", r.body)
			if r.status == http.StatusServiceUnavailable {
				assert.NotEmpty(t, r.header.Get("Retry-After"))
			} else {
				unavailable = false
			}
			r = fleetDo(t, s.url, http.MethodPut, "/task-instances/"+task+"/heartbeat", execTok, "")
			require.Contains(t, []int{http.StatusUnauthorized, http.StatusServiceUnavailable}, r.status, "a revoked token during the outage")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Redis restarts from its files: service resumes, every revocation holds.
	rds.start(t)
	for _, s := range []*serveProc{a, b, c} {
		waitStatus(t, s.url, other, otherTok, http.StatusNoContent)
		assert.Equal(t, http.StatusUnauthorized, fleetDo(t, s.url, http.MethodPut, "/task-instances/"+task+"/heartbeat", execTok, "").status)
		assert.Equal(t, http.StatusUnauthorized, fleetDo(t, s.url, http.MethodPatch, "/task-instances/"+task+"/run", workload, runBodyA).status)
	}
	fresh := startServe(t, bin, key, url)
	assert.Equal(t, http.StatusUnauthorized, fleetDo(t, fresh.url, http.MethodPut, "/task-instances/"+task+"/heartbeat", execTok, "").status)
}

// serveProc is one `execauth serve` process.
type serveProc struct {
	cmd *exec.Cmd
	url string
}

func startServe(t *testing.T, bin, key, redisURL string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-key", key, "-iss", testIss, "-aud", testAud, "-redis", redisURL)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &serveProc{cmd: cmd}
	t.Cleanup(func() { p.kill(t) })
	lines := bufio.NewScanner(stderr)
	found := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if _, u, ok := strings.Cut(lines.Text(), "url=http://"); ok {
				found <- "http://" + strings.Fields(u)[0]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case p.url = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start within 30s")
	}
	return p
}

func (p *serveProc) kill(t *testing.T) {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

// mintReal mints a token with the CLI on the real clock.
func mintReal(t *testing.T, key, class, sub string) string {
	t.Helper()
	r := mintCLI(t, key, class, sub)
	require.NoError(t, r.err, r.stderr)
	return strings.TrimSpace(r.stdout)
}

func fleetDo(t *testing.T, base, method, path, tok, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// waitStatus waits, at most 10s, until a heartbeat of task with tok gets want.
func waitStatus(t *testing.T, base, task, tok string, want int) {
	t.Helper()
	require.Eventually(t, func() bool {
		return fleetDo(t, base, http.MethodPut, "/task-instances/"+task+"/heartbeat", tok, "").status == want
	}, 10*time.Second, 20*time.Millisecond, "heartbeat never got %d", want)
}

// testRedis is a Redis the test may stop and start again with its data.
type testRedis struct {
	bin, dir, port string
	cmd            *exec.Cmd
	mini           *miniredis.Miniredis
}

func startRedis(t *testing.T) *testRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server must be on PATH in CI")
		}
		t.Log("redis-server not on PATH: the fleet shares miniredis")
		m := miniredis.NewMiniRedis()
		require.NoError(t, m.Start())
		t.Cleanup(m.Close)
		return &testRedis{mini: m}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	require.NoError(t, l.Close())
	r := &testRedis{bin: bin, dir: t.TempDir(), port: port}
	r.start(t)
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *testRedis) addr() string {
	if r.mini != nil {
		return r.mini.Addr()
	}
	return "127.0.0.1:" + r.port
}

func (r *testRedis) start(t *testing.T) {
	t.Helper()
	if r.mini != nil {
		require.NoError(t, r.mini.Restart())
		return
	}
	r.cmd = exec.Command(r.bin, "--bind", "127.0.0.1", "--port", r.port, "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile", "")
	require.NoError(t, r.cmd.Start())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", r.addr())
		if err == nil {
			_ = conn.Close()
			return
		}
		require.NoError(t, ctx.Err(), "redis-server did not listen within 10s")
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills Redis (SIGKILL, as a crash would).
func (r *testRedis) stop(t *testing.T) {
	if r.mini != nil {
		r.mini.Close()
		return
	}
	if r.cmd != nil && r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		_ = r.cmd.Wait()
	}
}
