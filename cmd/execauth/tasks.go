package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Task states of the reference server. A task it has not seen run is
// queued; the terminal states are those of Airflow's state call.
const (
	stateQueued  = "queued"
	stateRunning = "running"
)

// terminal lists the states PATCH /task-instances/{id}/state accepts.
var terminal = map[string]bool{"success": true, "failed": true, "skipped": true, "removed": true}

// tasks is the reference server's task table: in memory, or in Redis so that
// several serve processes act as one API. Safe for concurrent use.
type tasks interface {
	// get returns the task with id; ok is false for a task never run.
	get(ctx context.Context, id string) (t task, ok bool, err error)
	// start records t (running) unless the task is known, and returns the
	// task as it now stands.
	start(ctx context.Context, t task) (task, error)
	// finish moves a running task, or one already in state, to state, and
	// returns the task as it was; a task in another state, or never run, is
	// returned unchanged with errNotRunning.
	finish(ctx context.Context, id, state string) (task, error)
}

var errNotRunning = errors.New("task is not running")

// memoryTasks is the task table of a single serve process.
type memoryTasks struct {
	mu sync.Mutex
	m  map[string]task
}

func newMemoryTasks() *memoryTasks { return &memoryTasks{m: make(map[string]task)} }

func (s *memoryTasks) get(_ context.Context, id string) (task, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[id]
	return t, ok, nil
}

func (s *memoryTasks) start(_ context.Context, t task) (task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.m[t.ID]; ok {
		return cur, nil
	}
	s.m[t.ID] = t
	return t, nil
}

func (s *memoryTasks) finish(_ context.Context, id, state string) (task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[id]
	if !ok || (t.State != stateRunning && t.State != state) {
		if !ok {
			t = task{ID: id, State: stateQueued}
		}
		return t, errNotRunning
	}
	prev := t
	t.State = state
	s.m[id] = t
	return prev, nil
}

// redisTasks keeps each task in a hash {execauth}:task:ID with the fields
// state, hostname and pid.
type redisTasks struct {
	client redis.UniversalClient
	prefix string
}

// taskStart and taskFinish run atomically on the server. KEYS: the task's
// key. They return state, hostname, pid of the task as it now stands
// (start) or as it was (finish), or nothing for an unknown task (finish).
var (
	taskStart = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'state', ARGV[1], 'hostname', ARGV[2], 'pid', ARGV[3])
end
return redis.call('HMGET', KEYS[1], 'state', 'hostname', 'pid')
`)
	taskFinish = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'state', 'hostname', 'pid')
if not cur[1] then
  return {}
end
if cur[1] == 'running' or cur[1] == ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', ARGV[1])
end
return cur
`)
)

func (s *redisTasks) key(id string) string { return s.prefix + "task:" + id }

func (s *redisTasks) get(ctx context.Context, id string) (task, bool, error) {
	vals, err := s.client.HMGet(ctx, s.key(id), "state", "hostname", "pid").Result()
	if err != nil {
		return task{}, false, err
	}
	return parseTask(id, vals)
}

func (s *redisTasks) start(ctx context.Context, t task) (task, error) {
	vals, err := taskStart.Run(ctx, s.client, []string{s.key(t.ID)}, t.State, t.Hostname, t.PID).Slice()
	if err != nil {
		return task{}, err
	}
	cur, _, err := parseTask(t.ID, vals)
	return cur, err
}

func (s *redisTasks) finish(ctx context.Context, id, state string) (task, error) {
	vals, err := taskFinish.Run(ctx, s.client, []string{s.key(id)}, state).Slice()
	if err != nil {
		return task{}, err
	}
	prev, ok, err := parseTask(id, vals)
	switch {
	case err != nil:
		return task{}, err
	case !ok:
		return task{ID: id, State: stateQueued}, errNotRunning
	case prev.State != stateRunning && prev.State != state:
		return prev, errNotRunning
	}
	return prev, nil
}

// parseTask reads state, hostname and pid as HMGET returns them.
func parseTask(id string, vals []any) (task, bool, error) {
	if len(vals) != 3 || vals[0] == nil {
		return task{}, false, nil
	}
	state, ok1 := vals[0].(string)
	host, ok2 := vals[1].(string)
	pid, err := strconv.Atoi(fmt.Sprint(vals[2]))
	if !ok1 || !ok2 || err != nil {
		return task{}, false, fmt.Errorf("task table: malformed task")
	}
	return task{ID: id, State: state, Hostname: host, PID: pid}, true, nil
}
