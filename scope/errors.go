package scope

import "errors"

// Errors returned by [Parse], [Set.Class] and [Set.UnmarshalJSON].
var (
	ErrEmpty       = errors.New("scope: empty")
	ErrSyntax      = errors.New("scope: malformed value")
	ErrDuplicate   = errors.New("scope: duplicate value")
	ErrNotString   = errors.New("scope: claim is not a JSON string")
	ErrNoClass     = errors.New("scope: no token class")
	ErrManyClasses = errors.New("scope: more than one token class")
)
