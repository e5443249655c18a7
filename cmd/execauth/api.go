package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/revoke"
	"github.com/execauth/execauth/token"
)

// api holds the reference server's handlers; its task table and
// revocations live in memory or in Redis (serve -redis).
type api struct {
	reissuer *refresh.Reissuer
	verifier *token.Verifier
	revoked  *revoke.List
	tasks    tasks
	log      *slog.Logger
	observe  func(*token.Claims)
	now      func() time.Time
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
	t, seen, err := a.tasks.get(r.Context(), id)
	if err != nil {
		a.unavailable(w, r, "run: task table", err)
		return
	}
	if seen && (t.State != stateRunning || t.Hostname != body.Hostname || t.PID != body.PID) {
		a.conflict(w, t)
		return
	}
	// The chain's first token is minted before the task moves, so that a
	// worker never holds a running task without a token to work it with.
	if err := a.reissuer.Exchange(w, r); err != nil {
		a.refuseExchange(w, r, err)
		return
	}
	if !seen {
		t, err = a.tasks.start(r.Context(), task{ID: id, State: stateRunning, Hostname: body.Hostname, PID: body.PID})
		if err != nil {
			w.Header().Del(refresh.DefaultHeader)
			a.unavailable(w, r, "run: task table", err)
			return
		}
		if t.Hostname != body.Hostname || t.PID != body.PID { // another worker won the race
			w.Header().Del(refresh.DefaultHeader)
			a.conflict(w, t)
			return
		}
	}
	writeJSON(w, http.StatusOK, t)
}

// conflict answers a run of a task that is not this caller's to run.
func (a *api) conflict(w http.ResponseWriter, t task) {
	writeDetail(w, http.StatusConflict, detail{
		Reason:        "invalid_state",
		Message:       "TI was not in a state where it could be marked as running",
		PreviousState: t.State,
	})
}

// unavailable answers 503 when the shared state cannot be reached.
func (a *api) unavailable(w http.ResponseWriter, r *http.Request, what string, err error) {
	a.log.ErrorContext(r.Context(), what, slog.Any("err", err))
	middleware.WriteError(w, &middleware.Error{
		Status: http.StatusServiceUnavailable, Err: middleware.ErrInternal, RetryAfter: middleware.DefaultRetryAfter,
	}, "")
}

// refuseExchange answers a run whose workload token cannot start a chain
// here: signed by a key the server does not hold (a trusted component's),
// or expiring as it arrived. It is a valid token without the right to this
// action, so 403 insufficient_scope.
func (a *api) refuseExchange(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, refresh.ErrUnavailable) {
		a.unavailable(w, r, "run: first-exchange record", err)
		return
	}
	status, code, cause := http.StatusForbidden, middleware.CodeInsufficientScope, middleware.ErrInsufficientScope
	if !errors.Is(err, refresh.ErrNotExchangeable) {
		status, code, cause = http.StatusInternalServerError, "", middleware.ErrInternal
		a.log.ErrorContext(r.Context(), "run: exchange failed", slog.Any("err", err))
	}
	middleware.WriteError(w, &middleware.Error{Status: status, Code: code, Err: cause}, "")
}

// heartbeat answers 204 while the task runs, 409 otherwise.
func (a *api) heartbeat(w http.ResponseWriter, r *http.Request) {
	t, seen, err := a.tasks.get(r.Context(), r.PathValue("id"))
	if err != nil {
		a.unavailable(w, r, "heartbeat: task table", err)
		return
	}
	if !seen || t.State != stateRunning {
		state := stateQueued
		if seen {
			state = t.State
		}
		writeDetail(w, http.StatusConflict, detail{
			Reason:       "not_running",
			Message:      "TI is not in the running state; the task should terminate",
			CurrentState: state,
		})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// stateRequest is the body of the state call.
type stateRequest struct {
	State string `json:"state"`
}

// state moves a running task to a terminal state and revokes every token of
// the task issued until now, on every replica: later calls with any of them
// get 401, and nothing is reissued. Sending the same terminal state again
// answers 204 and revokes again (a retry after a 503). Airflow's route shape:
// PATCH /task-instances/{id}/state.
func (a *api) state(w http.ResponseWriter, r *http.Request) {
	var body stateRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&body); err != nil || !terminal[body.State] {
		writeDetail(w, http.StatusUnprocessableEntity, detail{
			Reason:  "invalid_body",
			Message: `the body must be a JSON object {"state": "success" | "failed" | "skipped" | "removed"}`,
		})
		return
	}
	id := r.PathValue("id")
	prev, err := a.tasks.finish(r.Context(), id, body.State)
	switch {
	case errors.Is(err, errNotRunning):
		writeDetail(w, http.StatusConflict, detail{
			Reason:        "invalid_state",
			Message:       "TI was not in the running state",
			PreviousState: prev.State,
		})
		return
	case err != nil:
		a.unavailable(w, r, "state: task table", err)
		return
	}
	if err := a.revoked.RevokeSubject(r.Context(), id, a.now()); err != nil {
		a.unavailable(w, r, "state: revoking the task's tokens", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// allowReissue declines reissue for a task that is not running (finished on
// any replica), so that no token of a finished task outlives its revocation.
func (a *api) allowReissue(r *http.Request, c *token.Claims) bool {
	t, seen, err := a.tasks.get(r.Context(), c.Subject)
	return err == nil && seen && t.State == stateRunning
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
