package refresh

import (
	"context"
	"strings"

	"github.com/execauth/execauth/token"
)

// Source supplies the bearer token a [Transport] sends.
//
// A Source may also implement [Reloader] and [Pinner]; the Transport looks
// for them once, at construction.
type Source interface {
	// Token returns the token to send now.
	Token(ctx context.Context) (token.Raw, error)
}

// Reloader is implemented by a Source that can fetch a newer token than its
// cached one. After a 401 the Transport calls Reload instead of Token and
// retries the request once if the token changed. [FileSource] implements it.
type Reloader interface {
	Reload(ctx context.Context) (token.Raw, error)
}

// Pinner is implemented by a Source whose token must never be replaced by a
// token a server sends back in the refresh header, such as a provisioned
// processor token. The Transport ignores the refresh header when Pinned
// returns true. [FileSource] is pinned.
type Pinner interface {
	Pinned() bool
}

// StaticSource returns a Source that always returns raw, such as the workload
// token shipped with a queued job. It is not pinned: the Transport moves on to
// the tokens the server sends back.
func StaticSource(raw token.Raw) Source { return staticSource(raw) }

type staticSource token.Raw

func (s staticSource) Token(context.Context) (token.Raw, error) { return token.Raw(s), nil }

// sendable reports whether s can follow "Bearer " in an Authorization field:
// non-empty visible ASCII, no whitespace.
func sendable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// plausible reports whether s looks like a compact JWS: at most
// token.DefaultMaxSize bytes, three non-empty segments of base64url
// characters. It checks the form only; the server verifies the token.
func plausible(s string) bool {
	if len(s) > token.DefaultMaxSize || strings.Count(s, ".") != 2 {
		return false
	}
	for seg := range strings.SplitSeq(s, ".") {
		if seg == "" || strings.IndexFunc(seg, notBase64URL) >= 0 {
			return false
		}
	}
	return true
}

func notBase64URL(r rune) bool {
	return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_')
}
