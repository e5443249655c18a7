package token

import (
	"fmt"
	"log/slog"
)

// Raw is a compact-serialized token. It redacts itself in fmt and slog output;
// convert it with string(raw) where the token itself is needed (an
// Authorization header, a file).
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
