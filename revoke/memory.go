package revoke

import (
	"cmp"
	"context"
	"crypto/rand"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memoryPurgeEvery is the least time between two purges of a [Memory].
const memoryPurgeEvery = time.Minute

// Memory is a [Store] in the memory of one process: the embedded default
// for a single replica. Its contents do not survive the process. Entries and
// first-exchange records are purged once past their Until, at most once a
// minute during calls. It is safe for concurrent use.
type Memory struct {
	now func() time.Time
	id  string // ties cursors to this store

	mu        sync.Mutex
	seq       uint64                // of the last write
	entries   map[entryKey]memEntry // the latest write of each JTI and Subject
	log       []logRecord           // in seq order; a record is current while entries holds its seq
	exchanges map[string]exchange
	purgeAt   time.Time
}

type entryKey struct {
	subject bool
	id      string
}

type memEntry struct {
	Entry
	seq uint64
}

type logRecord struct {
	key entryKey
	seq uint64
}

type exchange struct{ at, until time.Time }

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory. now tells expiry; if nil, time.Now is
// used.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{
		now: now, id: rand.Text(),
		entries: make(map[entryKey]memEntry), exchanges: make(map[string]exchange),
	}
}

// Revoke implements [Store.Revoke].
func (m *Memory) Revoke(_ context.Context, e Entry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	k := entryKey{subject: e.Subject != "", id: e.JTI + e.Subject}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.purge()
	if old, ok := m.entries[k]; ok {
		if !e.Cutoff.After(old.Cutoff) && !e.Until.After(old.Until) {
			return nil // already revoked at least as much
		}
		e.Cutoff = later(e.Cutoff, old.Cutoff)
		e.Until = later(e.Until, old.Until)
	}
	m.seq++
	m.entries[k] = memEntry{Entry: e, seq: m.seq}
	m.log = append(m.log, logRecord{key: k, seq: m.seq})
	if len(m.log) > 2*len(m.entries)+64 {
		m.compact()
	}
	return nil
}

// Since implements [Store.Since]. A cursor is this store's id and a
// sequence number.
func (m *Memory) Since(_ context.Context, cursor string) ([]Entry, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.purge()
	from := m.resume(cursor)
	i, _ := slices.BinarySearchFunc(m.log, from+1, func(r logRecord, seq uint64) int {
		return cmp.Compare(r.seq, seq)
	})
	now := m.now()
	var out []Entry
	for _, r := range m.log[i:] {
		if e, ok := m.entries[r.key]; ok && e.seq == r.seq && e.Until.After(now) {
			out = append(out, e.Entry)
		}
	}
	return out, m.id + ":" + strconv.FormatUint(m.seq, 10), nil
}

// resume returns the sequence number to continue after: 0 unless cursor is
// one of this store's, not ahead of it.
func (m *Memory) resume(cursor string) uint64 {
	id, n, ok := strings.Cut(cursor, ":")
	if !ok || id != m.id {
		return 0
	}
	seq, err := strconv.ParseUint(n, 10, 64)
	if err != nil || seq > m.seq {
		return 0
	}
	return seq
}

// FirstExchange implements [Store.FirstExchange].
func (m *Memory) FirstExchange(_ context.Context, sub string, at, until time.Time) (time.Time, error) {
	if err := ValidateExchange(sub, at, until); err != nil {
		return time.Time{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.purge()
	if x, ok := m.exchanges[sub]; ok && x.until.After(m.now()) {
		return x.at, nil
	}
	at = time.Unix(at.Unix(), 0)
	m.exchanges[sub] = exchange{at: at, until: until}
	return at, nil
}

// purge drops what is past its Until, at most once per memoryPurgeEvery.
// Call with mu held.
func (m *Memory) purge() {
	now := m.now()
	if now.Before(m.purgeAt) {
		return
	}
	m.purgeAt = now.Add(memoryPurgeEvery)
	for k, e := range m.entries {
		if !e.Until.After(now) {
			delete(m.entries, k)
		}
	}
	for sub, x := range m.exchanges {
		if !x.until.After(now) {
			delete(m.exchanges, sub)
		}
	}
	m.compact()
}

// compact drops log records that are no longer current. Call with mu held.
func (m *Memory) compact() {
	m.log = slices.DeleteFunc(m.log, func(r logRecord) bool {
		e, ok := m.entries[r.key]
		return !ok || e.seq != r.seq
	})
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
