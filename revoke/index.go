package revoke

import "maps"

// recentLimit bounds the small table of an [index]: up to it, a write copies
// only that table; past it, the write folds it into the base, so the cost of
// copying the base is shared by recentLimit writes.
const recentLimit = 1024

// subjectRecord is a subject revocation, in Unix seconds.
type subjectRecord struct {
	cutoff int64 // tokens with iat <= cutoff are revoked
	until  int64
}

// table maps each revoked jti to its until, and each revoked subject to its
// record, in Unix seconds.
type table struct {
	tokens   map[string]int64
	subjects map[string]subjectRecord
}

func newTable(tokens, subjects int) table {
	return table{tokens: make(map[string]int64, tokens), subjects: make(map[string]subjectRecord, subjects)}
}

func (t table) len() int { return len(t.tokens) + len(t.subjects) }

// index is an immutable state of the revocations a [List] knows, read by
// Check without locks: a large base and a small table of recent writes. A
// subject in recent holds the merged record, so recent is looked at first.
type index struct {
	base, recent table
}

func emptyIndex() *index { return &index{base: newTable(0, 0), recent: newTable(0, 0)} }

// revoked reports whether a token with jti and sub, issued at iat (Unix
// seconds), is revoked. It does not allocate.
func (x *index) revoked(jti, sub string, iat int64) bool {
	if jti != "" {
		if _, ok := x.recent.tokens[jti]; ok {
			return true
		}
		if _, ok := x.base.tokens[jti]; ok {
			return true
		}
	}
	if sub != "" {
		if r, ok := x.subject(sub); ok && iat <= r.cutoff {
			return true
		}
	}
	return false
}

func (x *index) token(jti string) (int64, bool) {
	if u, ok := x.recent.tokens[jti]; ok {
		return u, true
	}
	u, ok := x.base.tokens[jti]
	return u, ok
}

func (x *index) subject(sub string) (subjectRecord, bool) {
	if r, ok := x.recent.subjects[sub]; ok {
		return r, true
	}
	r, ok := x.base.subjects[sub]
	return r, ok
}

func (x *index) len() int { return x.base.len() + x.recent.len() }

// with returns the index with entries added (valid ones, not past their
// until at now), or x itself when they revoke nothing new.
func (x *index) with(entries []Entry, now int64) *index {
	add := newTable(0, 0)
	for _, e := range entries {
		until := UntilUnix(e.Until)
		if until <= now || e.Validate() != nil {
			continue
		}
		if e.JTI != "" {
			cur, ok := add.tokens[e.JTI]
			if !ok {
				cur, ok = x.token(e.JTI)
			}
			if !ok || until > cur {
				add.tokens[e.JTI] = until
			}
			continue
		}
		r := subjectRecord{cutoff: CutoffUnix(e.Cutoff), until: until}
		cur, ok := add.subjects[e.Subject]
		if !ok {
			cur, ok = x.subject(e.Subject)
		}
		if ok {
			if r.cutoff <= cur.cutoff && r.until <= cur.until {
				continue
			}
			r = subjectRecord{cutoff: max(r.cutoff, cur.cutoff), until: max(r.until, cur.until)}
		}
		add.subjects[e.Subject] = r
	}
	switch {
	case add.len() == 0:
		return x
	case x.recent.len()+add.len() <= recentLimit:
		recent := table{tokens: maps.Clone(x.recent.tokens), subjects: maps.Clone(x.recent.subjects)}
		merge(recent, add)
		return &index{base: x.base, recent: recent}
	}
	base := table{tokens: maps.Clone(x.base.tokens), subjects: maps.Clone(x.base.subjects)}
	merge(base, x.recent)
	merge(base, add)
	return &index{base: base, recent: newTable(0, 0)}
}

// merge writes src over dst; src's values are already the merged ones.
func merge(dst, src table) {
	maps.Copy(dst.tokens, src.tokens)
	maps.Copy(dst.subjects, src.subjects)
}

// purged returns the index without the entries past their until at now, or
// x itself when there are none.
func (x *index) purged(now int64) *index {
	if !x.base.expired(now) && !x.recent.expired(now) {
		return x
	}
	next := newTable(len(x.base.tokens)+len(x.recent.tokens), len(x.base.subjects)+len(x.recent.subjects))
	for _, t := range []table{x.base, x.recent} { // recent last: it holds the merged values
		for jti, u := range t.tokens {
			if u > now {
				next.tokens[jti] = u
			}
		}
		for sub, r := range t.subjects {
			if r.until > now {
				next.subjects[sub] = r
			}
		}
	}
	return &index{base: next, recent: newTable(0, 0)}
}

// expired reports whether t holds an entry past its until at now.
func (t table) expired(now int64) bool {
	for _, u := range t.tokens {
		if u <= now {
			return true
		}
	}
	for _, r := range t.subjects {
		if r.until <= now {
			return true
		}
	}
	return false
}
