package token

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/scope"
)

// Claims are the claims of a token. [Verifier.Verify] returns them only for a
// token that passed every check; [Issuer.Mint] takes them to sign.
//
// Times are whole seconds; a zero time means the claim is absent.
type Claims struct {
	Issuer    string    // iss
	Subject   string    // sub: the task id (workload, execution) or a principal name (processor)
	Audience  []string  // aud: a string when one value, an array when several
	ExpiresAt time.Time // exp
	NotBefore time.Time // nbf
	IssuedAt  time.Time // iat
	ID        string    // jti
	Scope     scope.Set // scope: one class plus any permission scopes
	AuthTime  time.Time // auth_time: the run exchange that started this execution-token chain

	// Extra holds host-defined claims as raw JSON values. Names of registered
	// claims, in any letter case, are not allowed here.
	Extra map[string]json.RawMessage

	audArray bool   // aud was a JSON array although it holds one value
	kid      string // kid of the key that verified the token
	class    *Class // the class as the verifier's Classes describe it; nil until verified

	// Backing arrays for the usual one audience and one or two scopes, so
	// that decoding and Clone allocate the Claims and nothing else for them.
	audBuf   [1]string
	scopeBuf [2]scope.Scope
}

// registered lists the claim names with a meaning here. A member of the claims
// object that matches one of them only case-insensitively is rejected.
var registered = [...]string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "auth_time"}

func isRegistered(name string) (exact, variant bool) {
	for _, r := range registered {
		if name == r {
			return true, false
		}
		if strings.EqualFold(name, r) {
			return false, true
		}
	}
	return false, false
}

// Class returns the token class: for claims from [Verifier.Verify], the
// class its [Classes] found in Scope; for other claims, the built-in class in
// Scope. It is "" when there is not exactly one.
func (c *Claims) Class() scope.Scope {
	if c.class != nil {
		return c.class.Name
	}
	class, _ := c.Scope.Class()
	return class
}

// TaskID parses Subject as the task id of a token whose class has a task-id
// subject ([Class.TaskSubject]: workload and execution among the built-ins).
func (c *Claims) TaskID() (uuid.UUID, error) {
	class := c.class
	if class == nil {
		class, _ = builtinClasses.of(c.Scope)
	}
	if class == nil || !class.TaskSubject {
		return uuid.UUID{}, ErrSubject
	}
	return parseTaskID(c.Subject)
}

// parseTaskID accepts only the canonical 36-character form, so that a subject
// compares equal to the path value it names.
func parseTaskID(s string) (uuid.UUID, error) {
	if !isTaskID(s) {
		return uuid.UUID{}, ErrSubject
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.UUID{}, ErrSubject
	}
	return id, nil
}

// isTaskID reports whether s is a UUID in canonical form: 8-4-4-4-12 hex
// digits, either case. It is what parseTaskID accepts, without the parse.
func isTaskID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

// KeyID returns the kid of the key that verified these claims: the token's
// kid, or for a token without one (Airflow's HMAC tokens) the id of the one
// key that could verify it. It is "" for claims that did not come from
// [Verifier.Verify], and for a key without an id.
func (c *Claims) KeyID() string { return c.kid }

// Clone returns a deep copy the caller may modify.
func (c *Claims) Clone() *Claims {
	out := *c
	out.Audience = cloneInto(out.audBuf[:], c.Audience)
	out.Scope = cloneInto(out.scopeBuf[:], c.Scope)
	if c.Extra != nil {
		out.Extra = make(map[string]json.RawMessage, len(c.Extra))
		for k, v := range c.Extra {
			out.Extra[k] = slices.Clone(v)
		}
	}
	return &out
}

// cloneInto copies s into buf when it fits (capped, so an append by the
// caller cannot reach past it), else into a new slice. nil stays nil.
func cloneInto[S ~[]E, E any](buf []E, s S) S {
	if s == nil {
		return nil
	}
	if len(s) <= len(buf) {
		n := copy(buf, s)
		return S(buf[:n:n])
	}
	return slices.Clone(s)
}

// wireClaims fixes the member order of minted tokens.
type wireClaims struct {
	Iss      string    `json:"iss,omitempty"`
	Sub      string    `json:"sub"`
	Aud      any       `json:"aud"`
	Iat      int64     `json:"iat"`
	Nbf      *int64    `json:"nbf,omitempty"`
	Exp      int64     `json:"exp"`
	Jti      string    `json:"jti,omitempty"`
	Scope    scope.Set `json:"scope,omitempty"`
	AuthTime *int64    `json:"auth_time,omitempty"`
}

var errReservedExtra = errors.New("token: extra claim uses a registered name")

// MarshalJSON encodes the claims as a JWT claims set: registered claims first,
// then Extra in name order. Times are integer seconds.
func (c *Claims) MarshalJSON() ([]byte, error) {
	w := wireClaims{
		Iss: c.Issuer, Sub: c.Subject, Aud: c.audienceValue(),
		Iat: c.IssuedAt.Unix(), Exp: c.ExpiresAt.Unix(), Jti: c.ID, Scope: c.Scope,
		Nbf: unixOrNil(c.NotBefore), AuthTime: unixOrNil(c.AuthTime),
	}
	b, err := json.Marshal(w)
	if err != nil || len(c.Extra) == 0 {
		return b, err
	}
	b = b[:len(b)-1] // reopen the object
	for _, name := range slices.Sorted(maps.Keys(c.Extra)) {
		if exact, variant := isRegistered(name); exact || variant {
			return nil, errReservedExtra
		}
		v := c.Extra[name]
		if !json.Valid(v) {
			return nil, errors.New("token: extra claim is not valid JSON")
		}
		key, _ := json.Marshal(name)
		b = append(b, ',')
		b = append(b, key...)
		b = append(b, ':')
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

func (c *Claims) audienceValue() any {
	if len(c.Audience) == 1 && !c.audArray {
		return c.Audience[0]
	}
	return c.Audience
}

func unixOrNil(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	u := t.Unix()
	return &u
}
