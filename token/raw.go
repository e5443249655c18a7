package token

import (
	"fmt"
	"log/slog"
)

// Raw is a compact-serialized token. It redacts itself in fmt, slog and
// encoding/json output (so a Raw inside a logged struct or slice stays
// hidden); convert it with string(raw) where the token itself is needed (an
// Authorization header, a file). fmt cannot reach a Raw in an unexported
// struct field through its methods: keep tokens out of such fields in values
// you print.
type Raw string

const redacted = "[REDACTED]"

// String returns a fixed placeholder, never the token.
func (Raw) String() string { return redacted }

// GoString returns a fixed placeholder, never the token.
func (Raw) GoString() string { return "token.Raw(" + redacted + ")" }

// Format writes a fixed placeholder for every verb.
func (Raw) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue logs a fixed placeholder.
func (Raw) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes a fixed placeholder: slog's JSON handler and
// json.Marshal of a struct holding a Raw must not reveal the token.
func (Raw) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
