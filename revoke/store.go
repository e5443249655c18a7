package revoke

import (
	"context"
	"fmt"
	"time"
)

// ExpiryMargin is how long an entry outlives the tokens it revokes: the
// longest leeway a token.Verifier may be configured with (token.MaxLeeway).
// A verifier accepts a token until exp plus its leeway, so a revocation must
// be kept at least that long.
const ExpiryMargin = 5 * time.Minute

// Entry is one revocation: either one token (JTI) or every token of a
// subject issued at or before a cutoff (Subject and Cutoff). The zero Entry
// is invalid; [Entry.Validate] states the rules.
//
// Stores may keep times in whole seconds, Cutoff rounded down and Until
// rounded up, which never revokes less: iat is itself a whole second, and a
// token is revoked by a subject entry when its iat is at or before the
// second of Cutoff. So a token minted in the same second as the revocation,
// even after it, is revoked too; a new token for the subject must be minted
// in a later second.
type Entry struct {
	// JTI is the jti of the revoked token. Empty for a subject entry.
	JTI string
	// Subject is the sub whose tokens issued at or before Cutoff are revoked.
	// Empty for a token entry.
	Subject string
	// Cutoff is the time of a subject revocation. Zero for a token entry.
	Cutoff time.Time
	// Until is when the entry may be forgotten: for a token, its exp plus
	// [ExpiryMargin]; for a subject, Cutoff plus the longest lifetime of any
	// token class plus ExpiryMargin ([List] computes both). Required.
	Until time.Time
}

// Validate reports whether e is a token entry (JTI, Until) or a subject
// entry (Subject, Cutoff, Until after Cutoff). Otherwise the error matches
// [ErrInvalidEntry].
func (e Entry) Validate() error {
	switch {
	case (e.JTI == "") == (e.Subject == ""):
		return fmt.Errorf("%w: exactly one of JTI and Subject is required", ErrInvalidEntry)
	case e.Until.IsZero():
		return fmt.Errorf("%w: no Until", ErrInvalidEntry)
	case e.JTI != "" && !e.Cutoff.IsZero():
		return fmt.Errorf("%w: a token entry has no Cutoff", ErrInvalidEntry)
	case e.Subject != "" && e.Cutoff.IsZero():
		return fmt.Errorf("%w: a subject entry needs a Cutoff", ErrInvalidEntry)
	case e.Subject != "" && !e.Until.After(e.Cutoff):
		return fmt.Errorf("%w: Until must be after Cutoff", ErrInvalidEntry)
	}
	return nil
}

// Store keeps revocations and first-exchange records where every replica of
// an API can read them. It is small so that it can be built on any shared
// database: on SQL, one table of entries keyed by (kind, jti or sub) with a
// sequence number bumped on every write gives Since, and a table keyed by sub
// with an insert that ignores conflicts gives FirstExchange.
//
// A Store never forgets an entry before its Until, and every method is safe
// for concurrent use from many processes. Implementations: [Memory] in this
// package, and the Redis store in the separate module
// github.com/execauth/execauth/redisstore.
type Store interface {
	// Revoke records e. It is idempotent, and a later write of the same JTI
	// or Subject never revokes less: the store keeps the later Cutoff and the
	// later Until. An invalid e is an error matching [ErrInvalidEntry].
	Revoke(ctx context.Context, e Entry) error
	// Since returns the entries written after cursor and the cursor to pass
	// next time; an entry written again with a later Cutoff or Until comes
	// again. The empty cursor asks for every entry not yet past its Until, and
	// so does a cursor the store cannot continue from (another store's, or
	// one from before the store lost data): a Store returns everything rather
	// than leave a gap. Entries past their Until may be included; callers
	// drop them.
	Since(ctx context.Context, cursor string) (entries []Entry, next string, err error)
	// FirstExchange records at as the first run exchange of sub unless a
	// record is held, keeps it until until, and returns the recorded time:
	// at for the first caller and the first caller's at for every later one,
	// on any replica, until the record expires. Times are whole seconds (at
	// is rounded down). An empty sub, a zero at or an until not after at is
	// an error matching [ErrInvalidEntry].
	FirstExchange(ctx context.Context, sub string, at, until time.Time) (first time.Time, err error)
}

// ValidateExchange applies the argument rules of [Store.FirstExchange], for
// Store implementations: an error matches [ErrInvalidEntry].
func ValidateExchange(sub string, at, until time.Time) error {
	switch {
	case sub == "":
		return fmt.Errorf("%w: empty subject", ErrInvalidEntry)
	case at.IsZero():
		return fmt.Errorf("%w: zero exchange time", ErrInvalidEntry)
	case !until.After(at):
		return fmt.Errorf("%w: until must be after the exchange time", ErrInvalidEntry)
	}
	return nil
}

// CutoffUnix is the whole second a subject entry's cutoff counts as: t
// rounded down. A token of the subject is revoked when its iat, in Unix
// seconds, is at or before it.
func CutoffUnix(t time.Time) int64 { return t.Unix() }

// UntilUnix is the whole second an entry's Until counts as: t rounded up,
// so that an entry is never forgotten early.
func UntilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}
