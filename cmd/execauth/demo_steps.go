package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// steps runs the demo's steps in order. A step that misbehaves is marked and
// the demo goes on; an error (the server unreachable) ends it.
func (d *demoRun) steps() error {
	for _, step := range []func() error{d.flow, d.refused, d.processor, d.finished, d.parse} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// flow is steps 1 to 4: a workload token, the run exchange, the swapped
// execution token, and a reissue near its expiry.
func (d *demoRun) flow() error {
	run := "/task-instances/" + d.task.String() + "/run"
	heartbeat := "/task-instances/" + d.task.String() + "/heartbeat"

	d.title("The scheduler mints a workload token for the task and queues it")
	workload, err := d.srv.issuer.Workload(d.task)
	if err != nil {
		return err
	}
	wc, err := d.inspect(string(workload))
	if err != nil {
		return err
	}
	d.check(wc.Class() == scope.Workload, "workload token, jti %s, valid for %v", short(wc.ID), wc.ExpiresAt.Sub(wc.IssuedAt))
	d.workload = workload

	d.title("The worker starts the task with it: the run exchange")
	worker, err := d.client(refresh.StaticSource(workload))
	if err != nil {
		return err
	}
	r, err := d.send(worker, "", "the workload token, via refresh.Transport", http.MethodPatch, run, runBody())
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusOK, "200: the task is running")
	ec, err := d.inspect(r.header.Get(refresh.DefaultHeader))
	if !d.check(err == nil && ec.Class() == scope.Execution && ec.Subject == d.task.String(),
		"Refreshed-API-Token carries an execution token for the task") {
		return nil
	}
	d.printf("     jti %s, valid for %v; the transport keeps it for the next calls\n", short(ec.ID), ec.ExpiresAt.Sub(ec.IssuedAt))

	d.title("Heartbeat with the swapped-in execution token")
	r, err = d.send(worker, "", "the transport's current token", http.MethodPut, heartbeat, "")
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusNoContent, "204")
	d.check(d.lastSeen() == ec.ID, "the server received the execution token (jti %s), not the workload token", short(ec.ID))

	left := demoTTL.Execution - 35*time.Second
	d.title("Near expiry: the clock moves 35s on, %v of the execution token left", left)
	d.printf("   reissue window: the last max(20%% of %v, %v) = %v of its life\n", demoTTL.Execution, refresh.MinWindow, max(demoTTL.Execution/5, refresh.MinWindow))
	d.advance(35 * time.Second)
	r, err = d.send(worker, "", "the transport's current token", http.MethodPut, heartbeat, "")
	if err != nil {
		return err
	}
	nc, err := d.inspect(r.header.Get(refresh.DefaultHeader))
	if !d.check(r.status == http.StatusNoContent && err == nil && nc.ID != ec.ID && nc.AuthTime.Equal(ec.AuthTime),
		"204 with a new execution token in Refreshed-API-Token (same chain: auth_time kept)") {
		return nil
	}
	d.printf("     jti %s, valid for %v\n", short(nc.ID), nc.ExpiresAt.Sub(nc.IssuedAt))
	r, err = d.send(worker, "", "the transport's current token", http.MethodPut, heartbeat, "")
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusNoContent && r.header.Get(refresh.DefaultHeader) == "", "204, no new token (not due yet)")
	d.check(d.lastSeen() == nc.ID, "the server received the reissued token (jti %s)", short(nc.ID))
	d.worker = worker
	return nil
}

// finished is step 8: the task finishes, and every token of it is refused
// afterwards, on every replica that shares the revocations.
func (d *demoRun) finished() error {
	base := "/task-instances/" + d.task.String()
	d.title("The task finishes: its tokens are revoked")
	if d.worker == nil {
		d.check(false, "no worker from step 2")
		return nil
	}
	r, err := d.send(d.worker, "", "the transport's current token", http.MethodPatch, base+"/state", `{"state": "success"}`)
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusNoContent, "204: the task is terminal, every token of it issued until now is revoked")
	r, err = d.send(d.worker, "", "the same execution token", http.MethodPut, base+"/heartbeat", "")
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusUnauthorized && strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) &&
		r.header.Get(refresh.DefaultHeader) == "", "401 invalid_token (reason revoked), and no new token")
	r, err = d.send(nil, d.workload, "the workload token", http.MethodPatch, base+"/run", runBody())
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusUnauthorized && r.header.Get(refresh.DefaultHeader) == "",
		"401: the run exchange hands out nothing for a finished task")
	return nil
}

// refused is steps 5 and 6: tokens the heartbeat route does not take.
func (d *demoRun) refused() error {
	heartbeat := "/task-instances/" + d.task.String() + "/heartbeat"

	d.title("The workload token on the heartbeat route (it only opens the run exchange)")
	r, err := d.send(nil, d.workload, "the workload token", http.MethodPut, heartbeat, "")
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusForbidden && strings.Contains(r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`),
		"403 insufficient_scope (%s)", r.header.Get("WWW-Authenticate"))

	d.title("An expired execution token")
	now := d.clock.now()
	expired, err := d.srv.issuer.Mint(token.Claims{
		Subject: d.task.String(), Scope: scope.Set{scope.Execution},
		IssuedAt: now.Add(-2 * time.Minute), ExpiresAt: now.Add(-time.Minute),
	})
	if err != nil {
		return err
	}
	r, err = d.send(nil, expired, "a token that expired 1m ago", http.MethodPut, heartbeat, "")
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusUnauthorized && strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) &&
		r.header.Get(refresh.DefaultHeader) == "", "401 invalid_token, and no new token")
	return nil
}

// processor is step 7: a processor token provisioned to a file, read through
// a FileSource, rotated, and refused where only execution tokens go.
func (d *demoRun) processor() error {
	conn := "/connections/" + demoConn
	d.title("A processor token provisioned to a file, used, rotated and used again")
	path := filepath.Join(d.dir, "processor.token")
	first, err := d.provision(path, "provisioned a")
	if err != nil {
		return err
	}
	src, err := refresh.NewFileSource(refresh.FileSourceConfig{Path: path, Now: d.clock.now, Logger: d.log})
	if err != nil {
		return err
	}
	proc, err := d.client(src)
	if err != nil {
		return err
	}
	r, err := d.send(proc, "", "the file's token, via refresh.FileSource", http.MethodGet, conn, "")
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusOK && d.lastSeen() == first, "200, the server received the processor token (jti %s)", short(first))

	second, err := d.provision(path, "rotated: wrote a new")
	if err != nil {
		return err
	}
	d.advance(refresh.DefaultCacheFor + time.Second)
	d.printf("   the clock moves %v on: the file source reads the file again\n", refresh.DefaultCacheFor+time.Second)
	r, err = d.send(proc, "", "the file's token, via refresh.FileSource", http.MethodGet, conn, "")
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusOK && d.lastSeen() == second, "200, the server received the rotated token (jti %s)", short(second))

	r, err = d.send(proc, "", "the file's token, via refresh.FileSource", http.MethodPut, "/task-instances/"+d.task.String()+"/heartbeat", "")
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusForbidden && strings.Contains(r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`),
		"403 insufficient_scope: a processor token does not heartbeat tasks")
	return nil
}

// provision mints a processor token and writes it to path as a trusted
// provisioner does, reporting it as what. It returns the token's jti.
func (d *demoRun) provision(path, what string) (string, error) {
	raw, err := d.srv.issuer.Processor("dag-processor")
	if err != nil {
		return "", err
	}
	c, err := d.inspect(string(raw))
	if err != nil {
		return "", err
	}
	if err := refresh.WriteTokenFile(path, raw); err != nil {
		return "", err
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	d.check(info.Mode().Perm() == 0o600, "%s processor token (jti %s) to %s, mode %v", what, short(c.ID), filepath.Base(path), info.Mode().Perm())
	return c.ID, nil
}

func runBody() string {
	return fmt.Sprintf(`{"hostname":%q,"pid":%d}`, demoHostname, demoPID)
}

// advance moves the demo's clock on and lets the server's revocation list
// sync at the new time, as its background loop would within 250ms: the
// list measures its staleness on the same clock.
func (d *demoRun) advance(by time.Duration) {
	d.clock.advance(by)
	if err := d.srv.revoked.Sync(d.ctx); err != nil {
		d.printf("   revocation list: %v\n", err)
	}
}
