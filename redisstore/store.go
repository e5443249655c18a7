package redisstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/execauth/execauth/revoke"
)

// Defaults for [Config].
const (
	DefaultPrefix         = "{execauth}:"
	DefaultResyncInterval = 5 * time.Minute
)

const (
	pageSize   = 1000 // entries per Since round trip
	purgeLimit = 1000 // expired entries dropped per Revoke
	jtiField   = "jti:"
	subField   = "sub:"
)

// Config configures a [Store]. Client is required.
type Config struct {
	// Client is any go-redis client: a single server, Sentinel (a failover
	// client) or Cluster. Required. The Store does not close it.
	Client redis.UniversalClient
	// Prefix starts every key. It must hold a hash tag ("{...}", not empty)
	// so that a Cluster keeps the keys that one script touches in one slot;
	// replicas that share revocations use the same prefix. If empty,
	// "{execauth}:" is used.
	Prefix string
	// ResyncInterval is how often a reader loads every live entry again,
	// instead of only what changed. It bounds how long a write lost to a
	// Redis failover can be missed by a reader whose cursor went past its
	// sequence number. If zero, 5m is used.
	ResyncInterval time.Duration
	// Now returns the current time, for purging expired entries and for
	// resyncs. If nil, time.Now is used. Replicas' clocks must agree (the
	// expiry of tokens already needs that).
	Now func() time.Time
}

// Store is a [revoke.Store] in Redis, shared by every replica configured
// with the same server and Prefix. It is safe for concurrent use.
type Store struct {
	client   redis.UniversalClient
	resync   time.Duration
	now      func() time.Time
	seq      string
	epoch    string
	entries  string
	changes  string
	expiry   string
	exchange string // prefix of the first-exchange keys
}

var _ revoke.Store = (*Store)(nil)

// New validates cfg and returns a Store. It does not contact Redis.
func New(cfg Config) (*Store, error) {
	switch {
	case cfg.Client == nil:
		return nil, fmt.Errorf("%w: no Client", ErrConfig)
	case cfg.ResyncInterval < 0:
		return nil, fmt.Errorf("%w: negative ResyncInterval", ErrConfig)
	}
	p := cfg.Prefix
	if p == "" {
		p = DefaultPrefix
	}
	if !hasHashTag(p) {
		return nil, fmt.Errorf("%w: Prefix needs a hash tag, like {execauth}:", ErrConfig)
	}
	s := &Store{
		client: cfg.Client, resync: cfg.ResyncInterval, now: cfg.Now,
		seq: p + "revoke:seq", epoch: p + "revoke:epoch", entries: p + "revoke:entries",
		changes: p + "revoke:changes", expiry: p + "revoke:expiry", exchange: p + "exchange:",
	}
	if s.resync == 0 {
		s.resync = DefaultResyncInterval
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// hasHashTag reports whether Redis Cluster hashes keys starting with p on a
// tag in p: the first "{" followed, later, by a "}" with something between.
func hasHashTag(p string) bool {
	_, rest, ok := strings.Cut(p, "{")
	if !ok {
		return false
	}
	i := strings.IndexByte(rest, '}')
	return i > 0
}

// Revoke implements [revoke.Store.Revoke]. Each call also purges up to 1000
// entries past their Until. An error reaching Redis matches
// [revoke.ErrUnavailable].
func (s *Store) Revoke(ctx context.Context, e revoke.Entry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	field, cutoff := jtiField+e.JTI, int64(0)
	if e.Subject != "" {
		field, cutoff = subField+e.Subject, revoke.CutoffUnix(e.Cutoff)
	}
	keys := []string{s.seq, s.epoch, s.entries, s.changes, s.expiry}
	err := revokeScript.Run(ctx, s.client, keys, field, cutoff, revoke.UntilUnix(e.Until), s.now().Unix(), rand.Text(), purgeLimit).Err()
	if err != nil {
		return fmt.Errorf("%w: redis: %w", revoke.ErrUnavailable, err)
	}
	return nil
}

// cursor is where a reader stands: the store's epoch, the sequence number
// and field of the last change read, and when it last loaded everything.
type cursor struct {
	epoch  string
	seq    int64
	fullAt int64 // Unix seconds
	field  string
}

func parseCursor(c string, now int64) cursor {
	parts := strings.SplitN(c, " ", 4)
	if len(parts) != 4 {
		return cursor{}
	}
	seq, err1 := strconv.ParseInt(parts[1], 10, 64)
	full, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || seq < 0 || full > now {
		return cursor{}
	}
	return cursor{epoch: parts[0], seq: seq, fullAt: full, field: parts[3]}
}

func (c cursor) String() string {
	return c.epoch + " " + strconv.FormatInt(c.seq, 10) + " " + strconv.FormatInt(c.fullAt, 10) + " " + c.field
}

// Since implements [revoke.Store.Since], one round trip per 1000 entries. A
// reader loads every live entry again, not only the changes, when its
// cursor cannot be continued (as the package doc lists) and once per
// ResyncInterval. An error reaching Redis, or an entry that does not parse,
// matches [revoke.ErrUnavailable].
func (s *Store) Since(ctx context.Context, c string) ([]revoke.Entry, string, error) {
	now := s.now().Unix()
	cur := parseCursor(c, now)
	if now-cur.fullAt >= int64(s.resync/time.Second) {
		cur = cursor{}
	}
	keys := []string{s.epoch, s.seq, s.changes, s.entries}
	var out []revoke.Entry
	after, field := cur.seq, cur.field
	for first := true; ; first = false {
		res, err := sinceScript.Run(ctx, s.client, keys, cur.epoch, after, field, pageSize).Slice()
		if err != nil {
			return nil, "", fmt.Errorf("%w: redis: %w", revoke.ErrUnavailable, err)
		}
		p, err := parsePage(res)
		if err != nil {
			return nil, "", fmt.Errorf("%w: %w", revoke.ErrUnavailable, err)
		}
		switch {
		case first && p.after == 0: // a full load, asked for or not
			cur = cursor{epoch: p.epoch, fullAt: now}
		case p.epoch != cur.epoch || p.after != after:
			return s.Since(ctx, "") // the keys changed between two pages: start over
		}
		out = append(out, p.entries...)
		if p.n > 0 {
			cur.seq, cur.field = p.last, p.lastField
		}
		if p.n < pageSize {
			return out, cur.String(), nil
		}
		after, field = p.last, ""
	}
}

// page is one answer of sinceScript.
type page struct {
	epoch     string
	after     int64
	last      int64  // sequence number of the last change in the page
	lastField string // and its field
	n         int    // changes in the page, purged ones included
	entries   []revoke.Entry
}

func parsePage(res []any) (page, error) {
	var p page
	if len(res) < 2 || (len(res)-2)%3 != 0 {
		return p, ErrMalformed
	}
	var ok1, ok2 bool
	p.epoch, ok1 = res[0].(string)
	p.after, ok2 = res[1].(int64)
	if !ok1 || !ok2 {
		return p, ErrMalformed
	}
	for i := 2; i < len(res); i += 3 {
		field, ok1 := res[i].(string)
		score, ok2 := res[i+1].(string)
		value, ok3 := res[i+2].(string)
		seq, err := strconv.ParseInt(score, 10, 64)
		if !ok1 || !ok2 || !ok3 || err != nil {
			return p, ErrMalformed
		}
		p.n++
		p.last, p.lastField = seq, field
		if value == "" {
			continue // purged since the page was listed
		}
		e, err := parseEntry(field, value)
		if err != nil {
			return p, err
		}
		p.entries = append(p.entries, e)
	}
	return p, nil
}

// parseEntry reads a field of the entries hash and its value "CUTOFF UNTIL".
func parseEntry(field, value string) (revoke.Entry, error) {
	c, u, ok := strings.Cut(value, " ")
	cutoff, err1 := strconv.ParseInt(c, 10, 64)
	until, err2 := strconv.ParseInt(u, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return revoke.Entry{}, ErrMalformed
	}
	e := revoke.Entry{Until: time.Unix(until, 0)}
	switch {
	case strings.HasPrefix(field, jtiField) && len(field) > len(jtiField):
		e.JTI = field[len(jtiField):]
	case strings.HasPrefix(field, subField) && len(field) > len(subField):
		e.Subject, e.Cutoff = field[len(subField):], time.Unix(cutoff, 0)
	default:
		return revoke.Entry{}, ErrMalformed
	}
	return e, nil
}

// FirstExchange implements [revoke.Store.FirstExchange] with one key per
// subject that Redis expires at until (by the server's clock). An error
// reaching Redis matches [revoke.ErrUnavailable].
func (s *Store) FirstExchange(ctx context.Context, sub string, at, until time.Time) (time.Time, error) {
	if err := revoke.ValidateExchange(sub, at, until); err != nil {
		return time.Time{}, err
	}
	res, err := exchangeScript.Run(ctx, s.client, []string{s.exchange + sub}, at.Unix(), until.UnixMilli()).Text()
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: redis: %w", revoke.ErrUnavailable, err)
	}
	first, err := strconv.ParseInt(res, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %w", revoke.ErrUnavailable, ErrMalformed)
	}
	return time.Unix(first, 0), nil
}
