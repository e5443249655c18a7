package token

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/scope"
)

// Claims are the claims of a token. [Verifier.Verify] returns them only for a
// token that passed every check; [Issuer.Mint] takes them to sign.
//
// Claims returned by Verify are shared: a cache hit hands every caller the
// claims of the first verification. Treat them as read-only; [Claims.Clone]
// gives a copy to change.
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

	// extra is a JSON object whose members with unregistered names are the
	// host's claims ([Claims.Extra]): what [Claims.SetExtra] built, or the
	// claims set of a verified token, as text or (encoded) as the token's
	// base64url payload, decoded when they are asked for.
	extra    string
	encoded  bool
	audArray bool   // aud was a JSON array although it holds one value
	kid      string // kid of the key that verified the token
	class    *Class // the class as the verifier's Classes describe it; nil until verified
}

// The registered claims, by their index in registered.
const (
	claimIss = iota
	claimSub
	claimAud
	claimExp
	claimNbf
	claimIat
	claimJti
	claimScope
	claimAuthTime
)

// registered lists the claim names with a meaning here. A member of the claims
// object that matches one of them only case-insensitively is rejected.
var registered = [...]string{
	claimIss: "iss", claimSub: "sub", claimAud: "aud", claimExp: "exp", claimNbf: "nbf",
	claimIat: "iat", claimJti: "jti", claimScope: "scope", claimAuthTime: "auth_time",
}

// registeredIndex returns the index of name in registered, or -1. A switch
// on the name, which the compiler turns into a search by length and value,
// takes a tenth of the time of comparing it with each name in turn: about
// 80 ns of a full HS256 request (benchmark row Middleware/HS256/execauth).
func registeredIndex(name []byte) int {
	switch string(name) {
	case "iss":
		return claimIss
	case "sub":
		return claimSub
	case "aud":
		return claimAud
	case "exp":
		return claimExp
	case "nbf":
		return claimNbf
	case "iat":
		return claimIat
	case "jti":
		return claimJti
	case "scope":
		return claimScope
	case "auth_time":
		return claimAuthTime
	}
	return -1
}

// isVariant reports whether name, which is not a registered claim name, is
// equal to one under Unicode case folding ("Exp", or "ſub", which
// encoding/json would read as sub).
func isVariant(name []byte) bool {
	if len(name) == 0 || !foldsToRegistered[name[0]] {
		return false
	}
	for _, r := range registered {
		if bytes.EqualFold(name, []byte(r)) {
			return true
		}
	}
	return false
}

// foldsToRegistered marks the bytes a case variant of a registered name can
// start with: the first letters of registered names in either case, and
// every byte outside ASCII (Unicode folding maps some of them to ASCII
// letters). Most host claims start elsewhere and skip isVariant's
// comparisons.
var foldsToRegistered = func() (t [256]bool) {
	for _, r := range registered {
		t[r[0]], t[r[0]-'a'+'A'] = true, true
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

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
	id, err := uuid.Parse(c.Subject)
	if class == nil || !class.TaskSubject || err != nil || len(c.Subject) != 36 {
		return uuid.UUID{}, ErrSubject
	}
	return id, nil
}

// isTaskID reports whether s is a UUID in canonical form: 8-4-4-4-12 hex
// digits, either case. Only that form, so that a subject compares equal to
// the path value it names.
func isTaskID(s string) bool { return len(s) == 36 && uuid.Validate(s) == nil }

// KeyID returns the kid of the key that verified these claims: the token's
// kid, or for a token without one (Airflow's HMAC tokens) the id of the one
// key that could verify it. It is "" for claims that did not come from
// [Verifier.Verify], and for a key without an id.
func (c *Claims) KeyID() string { return c.kid }

// Extra returns the raw JSON value of the host-defined claim name, and
// whether the token has it. Registered names (iss, sub, …) are never extra.
// The value is the caller's own copy; decode it with json.Unmarshal. Host
// claims are not decoded when the token is verified: each call reads them
// from the token's claims set.
func (c *Claims) Extra(name string) (json.RawMessage, bool) {
	for n, v := range c.extras() {
		if string(n) == name {
			return v, true
		}
	}
	return nil, false
}

// SetExtra adds the host-defined claim name to claims that are to be
// minted, or replaces it. A registered name in any letter case, or a value
// that is not valid JSON or that [Verifier.Verify] would refuse (invalid
// UTF-8, a duplicate member name, nesting deeper than 16), fails with
// [ErrNotMinted]. Like any change it is for claims of one's own, not those
// Verify returned.
func (c *Claims) SetExtra(name string, value json.RawMessage) error {
	if registeredIndex([]byte(name)) >= 0 || isVariant([]byte(name)) {
		return fmt.Errorf("%w: extra claim %q is a registered name", ErrNotMinted, name)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, value); err != nil {
		return fmt.Errorf("%w: extra claim %q is not valid JSON", ErrNotMinted, name)
	}
	if end, err := scanValue(compact.Bytes(), 0, 1); err != nil || end != compact.Len() {
		return fmt.Errorf("%w: extra claim %q would not verify", ErrNotMinted, name)
	}
	obj := []byte{'{'}
	for n, v := range c.extras() {
		if string(n) != name {
			obj = appendMember(obj, n, v)
		}
	}
	c.extra, c.encoded = string(append(appendMember(obj, []byte(name), compact.Bytes()), '}')), false
	return nil
}

// appendMember appends "name":value to a JSON object being built.
func appendMember(obj, name, value []byte) []byte {
	if len(obj) > 1 {
		obj = append(obj, ',')
	}
	key, _ := json.Marshal(string(name)) // a string always encodes
	obj = append(append(obj, key...), ':')
	return append(obj, value...)
}

// extras yields the host claims, in the order of the JSON object: each
// name (unescaped) and raw value, from a copy of c.extra. c.extra was
// checked when it was set, so it decodes and scans without error; if it does
// not, the bytes of the token string given to Verify were changed (through
// unsafe) since, and extras panics rather than yield fewer claims.
func (c *Claims) extras() iter.Seq2[[]byte, json.RawMessage] {
	return func(yield func([]byte, json.RawMessage) bool) {
		if c.extra == "" {
			return
		}
		var data []byte
		var err error
		if c.encoded {
			data, err = decodeSegment(nil, c.extra)
		} else {
			data = []byte(c.extra)
		}
		var o object
		if err == nil {
			o, err = readObject(data)
		}
		for err == nil {
			m, ok, err2 := o.next()
			if err = err2; !ok || err != nil {
				break
			}
			if registeredIndex(m.name) < 0 && !yield(m.name, m.value[:len(m.value):len(m.value)]) {
				return
			}
		}
		if err != nil {
			panic("token: the claims set no longer reads as it was verified: was the token string modified?")
		}
	}
}

// Clone returns a deep copy the caller may modify.
func (c *Claims) Clone() *Claims {
	out := *c
	out.Audience = slices.Clone(c.Audience)
	out.Scope = slices.Clone(c.Scope)
	return &out
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

// MarshalJSON encodes the claims as a JWT claims set: registered claims first,
// then the extra claims in the order they were set (or, for claims Verify
// returned, in which the token had them). Times are integer seconds.
func (c *Claims) MarshalJSON() ([]byte, error) {
	w := wireClaims{
		Iss: c.Issuer, Sub: c.Subject, Aud: c.Audience,
		Iat: c.IssuedAt.Unix(), Exp: c.ExpiresAt.Unix(), Jti: c.ID, Scope: c.Scope,
		Nbf: unixOrNil(c.NotBefore), AuthTime: unixOrNil(c.AuthTime),
	}
	if len(c.Audience) == 1 && !c.audArray {
		w.Aud = c.Audience[0]
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	b = b[:len(b)-1] // reopen the object
	for name, value := range c.extras() {
		b = appendMember(b, name, value)
	}
	return append(b, '}'), nil
}

func unixOrNil(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	u := t.Unix()
	return &u
}
