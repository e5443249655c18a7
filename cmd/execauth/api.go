package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// Task states of the reference server. A task it has not seen run is queued.
const (
	stateQueued  = "queued"
	stateRunning = "running"
)

// api holds the reference server's handlers and task state.
type api struct {
	reissuer *refresh.Reissuer
	log      *slog.Logger
	observe  func(*token.Claims)

	mu    sync.Mutex // guards tasks; never held while writing a response
	tasks map[string]task
}

// task is the state of one task instance.
type task struct {
	ID       string `json:"id"`
	State    string `json:"state"`
	Hostname string `json:"hostname"`
	PID      int    `json:"pid"`
}

// runRequest is the body of the run call: who is starting the task.
type runRequest struct {
	Hostname string `json:"hostname"`
	PID      int    `json:"pid"`
}

// maxBody caps request bodies; the run body is a few dozen bytes.
const maxBody = 64 << 10

// run moves a task to running. The same hostname and pid may call again
// (a retried request) and get 200 again; anyone else gets 409. For a
// workload token the response carries the first execution token of the
// chain; the task moves only if that token could be minted, so a worker
// never holds a running task without a token to work it with.
func (a *api) run(w http.ResponseWriter, r *http.Request) {
	var body runRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&body); err != nil || body.Hostname == "" || body.PID <= 0 {
		writeDetail(w, http.StatusUnprocessableEntity, detail{
			Reason:  "invalid_body",
			Message: `the body must be a JSON object {"hostname": "<non-empty>", "pid": <positive integer>}`,
		})
		return
	}
	id := r.PathValue("id")
	a.mu.Lock()
	t, seen := a.tasks[id]
	if seen && (t.Hostname != body.Hostname || t.PID != body.PID) {
		a.mu.Unlock()
		writeDetail(w, http.StatusConflict, detail{
			Reason:        "invalid_state",
			Message:       "TI was not in a state where it could be marked as running",
			PreviousState: t.State,
		})
		return
	}
	// Exchange signs (no I/O) and sets a header, so it may run under mu: the
	// state moves together with the token that goes with it.
	if err := a.reissuer.Exchange(w, r); err != nil {
		a.mu.Unlock()
		a.refuseExchange(w, r, err)
		return
	}
	if !seen {
		t = task{ID: id, State: stateRunning, Hostname: body.Hostname, PID: body.PID}
		a.tasks[id] = t
	}
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, t)
}

// refuseExchange answers a run whose workload token cannot start a chain
// here: signed by a key the server does not hold (a trusted component's),
// or expiring as it arrived. It is a valid token without the right to this
// action, so 403 insufficient_scope.
func (a *api) refuseExchange(w http.ResponseWriter, r *http.Request, err error) {
	status, code, cause := http.StatusForbidden, middleware.CodeInsufficientScope, middleware.ErrInsufficientScope
	if !errors.Is(err, refresh.ErrNotExchangeable) {
		status, code, cause = http.StatusInternalServerError, "", middleware.ErrInternal
		a.log.ErrorContext(r.Context(), "run: exchange failed", slog.Any("err", err))
	}
	middleware.WriteError(w, &middleware.Error{Status: status, Code: code, Err: cause}, "")
}

// heartbeat answers 204 while the task runs, 409 otherwise.
func (a *api) heartbeat(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	_, running := a.tasks[r.PathValue("id")] // every task held is running
	a.mu.Unlock()
	if !running {
		writeDetail(w, http.StatusConflict, detail{
			Reason:       "not_running",
			Message:      "TI is not in the running state; the task should terminate",
			CurrentState: stateQueued,
		})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// connection is a connection's settings, as Airflow's Execution API returns them.
type connection struct {
	ID     string `json:"conn_id"`
	Type   string `json:"conn_type"`
	Host   string `json:"host"`
	Port   int    `json:"port"`
	Schema string `json:"schema"`
	Login  string `json:"login"`
}

// connections is the fixed demo data of the reference server.
var connections = map[string]connection{
	"demo_db": {ID: "demo_db", Type: "postgres", Host: "db.example.internal", Port: 5432, Schema: "demo", Login: "demo"},
}

// connection answers with a connection's settings, or 404.
func (a *api) connection(w http.ResponseWriter, r *http.Request) {
	c, ok := connections[r.PathValue("conn_id")]
	if !ok {
		writeDetail(w, http.StatusNotFound, detail{Reason: "not_found", Message: "no such connection"})
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// seen reports the verified claims of a request to observe, then calls next.
func (a *api) seen(next http.HandlerFunc) http.Handler {
	if a.observe == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := token.FromContext(r.Context()); ok {
			a.observe(c)
		}
		next(w, r)
	})
}
