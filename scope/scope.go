package scope

import (
	"encoding/json"
	"strings"
)

// Scope is one value of the scope claim: a token class or a permission scope.
type Scope string

// The built-in token classes. A token carries exactly one class value: one
// of these or a class the host registers with package token.
const (
	// Workload tokens are long-lived, minted when a task is queued, and accepted
	// only by the run endpoint, which exchanges them for an execution token.
	Workload Scope = "workload"
	// Execution tokens are short-lived and used for every other call; they are
	// reissued near expiry.
	Execution Scope = "execution"
	// Processor tokens identify a component that runs user code and so never
	// holds a signing key; they are provisioned to it as a file.
	Processor Scope = "processor"
)

// classes lists the token classes in a stable order.
var classes = [...]Scope{Workload, Execution, Processor}

// Classes returns the token classes in a stable order, in a new slice.
func Classes() []Scope { return append([]Scope(nil), classes[:]...) }

// IsClass reports whether s is one of the built-in token classes.
func (s Scope) IsClass() bool {
	return s == Workload || s == Execution || s == Processor
}

// Valid reports whether s is a well-formed scope-token (RFC 6749 §3.3):
// one or more printable ASCII characters other than space, '"' and '\'.
func (s Scope) Valid() bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Set is the parsed scope claim. Order is kept as written; duplicates are
// rejected by [Parse]. It marshals to a JSON string.
type Set []Scope

// Parse splits a scope claim on single spaces (RFC 6749 §3.3). Empty values
// (leading, trailing or doubled spaces), malformed values and duplicates are
// errors.
func Parse(s string) (Set, error) {
	if s == "" {
		return nil, ErrEmpty
	}
	n := strings.Count(s, " ") + 1
	set := make(Set, 0, n)
	for part := range strings.SplitSeq(s, " ") {
		v := Scope(part)
		if !v.Valid() {
			return nil, ErrSyntax
		}
		if set.Has(v) {
			return nil, ErrDuplicate
		}
		set = append(set, v)
	}
	return set, nil
}

// New builds a Set from values, checking each as [Parse] does.
func New(values ...Scope) (Set, error) {
	if len(values) == 0 {
		return nil, ErrEmpty
	}
	set := make(Set, 0, len(values))
	for _, v := range values {
		if !v.Valid() {
			return nil, ErrSyntax
		}
		if set.Has(v) {
			return nil, ErrDuplicate
		}
		set = append(set, v)
	}
	return set, nil
}

// String returns the space-delimited claim value.
func (s Set) String() string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return string(s[0])
	}
	var b strings.Builder
	for i, v := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(v))
	}
	return b.String()
}

// Has reports whether v is in s.
func (s Set) Has(v Scope) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// HasAll reports whether every value of required is in s (exact,
// case-sensitive match).
func (s Set) HasAll(required ...Scope) bool {
	for _, r := range required {
		if !s.Has(r) {
			return false
		}
	}
	return true
}

// Class returns the set's single built-in token class. It fails with
// [ErrNoClass] when the set holds none and [ErrManyClasses] when it holds
// more than one. Package token's Classes finds registered classes too.
func (s Set) Class() (Scope, error) {
	var class Scope
	for _, v := range s {
		if !v.IsClass() {
			continue
		}
		if class != "" {
			return "", ErrManyClasses
		}
		class = v
	}
	if class == "" {
		return "", ErrNoClass
	}
	return class, nil
}

// MarshalJSON encodes the set as one JSON string.
func (s Set) MarshalJSON() ([]byte, error) {
	return json.Marshal(s.String())
}

// UnmarshalJSON decodes a JSON string with [Parse]; any other JSON value is an
// error.
func (s *Set) UnmarshalJSON(data []byte) error {
	var str string
	if len(data) == 0 || data[0] != '"' {
		return ErrNotString
	}
	if err := json.Unmarshal(data, &str); err != nil {
		return ErrNotString
	}
	set, err := Parse(str)
	if err != nil {
		return err
	}
	*s = set
	return nil
}
