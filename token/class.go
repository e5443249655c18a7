package token

import (
	"fmt"
	"slices"
	"time"

	"github.com/execauth/execauth/scope"
)

// Class describes a token class: the scope value that names it and the rules
// that the verifier, the issuer, route policy, reissue and exchange apply to
// its tokens. Nothing in this module treats a class by its name; it reads
// this description. The built-in classes (workload, execution, processor) are
// descriptions like any other (see [BuiltinClasses]); a host adds its own
// with [NewClasses].
//
// A Class is a plain comparable value. Two components agree on a class when
// they hold equal descriptions under its name.
type Class struct {
	// Name is the class value of the scope claim. Required: a valid scope
	// value, not a built-in name.
	Name scope.Scope
	// TaskSubject requires sub to be a task id: a UUID in its canonical
	// 36-character form. If false, sub is any non-empty string, such as a
	// principal name.
	TaskSubject bool
	// TTL is the lifetime of minted tokens unless a call sets exp. Required
	// (positive).
	TTL time.Duration
	// MaxLifetime is the longest exp - iat a verifier accepts. If zero, TTL.
	// Less than TTL is an error: the issuer would mint what the verifier
	// refuses.
	MaxLifetime time.Duration
	// AcceptedByDefault admits the class on a route that names no classes
	// (an empty middleware.Config.Classes). If false, only routes that list
	// the class admit it. Among the built-ins only execution is.
	AcceptedByDefault bool
	// ExchangedFor names the class a run-like route hands out for a token of
	// this class ([Issuer.Exchange], refresh.Reissuer.Exchange): the first
	// token of a chain, same sub and aud, auth_time = now. It must be a
	// Reissued class, and one whose sub rule this class meets. If empty,
	// tokens of this class start no chain. Built-in: workload → execution.
	ExchangedFor scope.Scope
	// Reissued marks the chain class: a currently valid token of it is
	// reissued near expiry (refresh.Reissuer.Middleware) with the same
	// class, sub, aud and auth_time, and a run-like route passes it through
	// without an exchange. If false, tokens of this class are never
	// reissued. Built-in: execution. A Reissued class has no ExchangedFor.
	Reissued bool
	// Narrowable lets a token of this class be traded in a narrowing
	// exchange ([Issuer.Narrow]) for a narrower token of another class. If
	// false, a narrowing exchange refuses it: a token of the class can never
	// be exchanged further. Built-in: processor.
	Narrowable bool
}

// Default lifetimes of the built-in classes, their TTL and MaxLifetime.
const (
	DefaultWorkloadTTL  = 24 * time.Hour
	DefaultExecutionTTL = 10 * time.Minute
	DefaultProcessorTTL = 24 * time.Hour
)

// builtin are the descriptions of the built-in classes, in the order of
// scope.Classes.
var builtin = [...]Class{
	{Name: scope.Workload, TaskSubject: true, TTL: DefaultWorkloadTTL, MaxLifetime: DefaultWorkloadTTL, ExchangedFor: scope.Execution},
	{Name: scope.Execution, TaskSubject: true, TTL: DefaultExecutionTTL, MaxLifetime: DefaultExecutionTTL, AcceptedByDefault: true, Reissued: true},
	{Name: scope.Processor, TTL: DefaultProcessorTTL, MaxLifetime: DefaultProcessorTTL, Narrowable: true},
}

// Classes is a set of token class descriptions: the built-ins and those a
// host registered. A token's class is the one scope value that names a
// class of the set; a scope naming none, or several, is refused. Build one
// with [NewClasses] and give the same set to the [IssuerConfig] and
// [VerifierConfig] (and so to the middleware and reissuer built on them).
// It is immutable and safe for concurrent use; a nil *Classes is the
// built-in set.
type Classes struct {
	list []Class
}

var builtinClasses = &Classes{list: builtin[:]}

// BuiltinClasses returns the built-in classes: workload, execution and
// processor, as the package documentation's table describes them. It is
// what a nil Classes in a config means.
func BuiltinClasses() *Classes { return builtinClasses }

// NewClasses returns the built-in classes plus extra. It fails with
// [ErrConfig] on a name that is not a valid scope value, a duplicate or
// built-in name, a TTL that is not positive, a MaxLifetime below TTL, an
// ExchangedFor that names no Reissued class of the set (or one whose sub
// rule the class does not meet), or a Reissued class with an ExchangedFor.
func NewClasses(extra ...Class) (*Classes, error) {
	c := &Classes{list: slices.Concat(builtin[:], extra)}
	for i := range c.list {
		cl := &c.list[i]
		if cl.MaxLifetime == 0 {
			cl.MaxLifetime = cl.TTL
		}
		switch {
		case !cl.Name.Valid():
			return nil, fmt.Errorf("%w: class %q is not a valid scope value", ErrConfig, cl.Name)
		case c.get(cl.Name) != cl:
			return nil, fmt.Errorf("%w: class %q registered twice", ErrConfig, cl.Name)
		case cl.TTL <= 0:
			return nil, fmt.Errorf("%w: class %q has no positive TTL", ErrConfig, cl.Name)
		case cl.MaxLifetime < cl.TTL:
			return nil, fmt.Errorf("%w: class %q has a MaxLifetime below its TTL", ErrConfig, cl.Name)
		case cl.Reissued && cl.ExchangedFor != "":
			return nil, fmt.Errorf("%w: class %q is Reissued and has an ExchangedFor", ErrConfig, cl.Name)
		}
		if cl.ExchangedFor == "" {
			continue
		}
		switch to := c.get(cl.ExchangedFor); {
		case to == nil || !to.Reissued:
			return nil, fmt.Errorf("%w: class %q is exchanged for %q, which is no Reissued class", ErrConfig, cl.Name, cl.ExchangedFor)
		case to.TaskSubject && !cl.TaskSubject:
			return nil, fmt.Errorf("%w: class %q is exchanged for %q, whose sub must be a task id", ErrConfig, cl.Name, cl.ExchangedFor)
		}
	}
	return c, nil
}

// Lookup returns the description of the class called name.
func (c *Classes) Lookup(name scope.Scope) (Class, bool) {
	if cl := c.get(name); cl != nil {
		return *cl, true
	}
	return Class{}, false
}

// Names returns the class names: the built-ins first, then the host's in the
// order registered.
func (c *Classes) Names() []scope.Scope {
	l := c.all()
	out := make([]scope.Scope, len(l))
	for i := range l {
		out[i] = l[i].Name
	}
	return out
}

// AcceptedByDefault returns the names of the classes a route that names none
// admits.
func (c *Classes) AcceptedByDefault() []scope.Scope {
	var out []scope.Scope
	for _, cl := range c.all() {
		if cl.AcceptedByDefault {
			out = append(out, cl.Name)
		}
	}
	return out
}

// Of returns the class of a scope claim: the description of its one value
// that names a class of c. Other values are permission scopes. It fails with
// scope.ErrNoClass when no value names a class and scope.ErrManyClasses when
// several do.
func (c *Classes) Of(set scope.Set) (Class, error) {
	cl, err := c.of(set)
	if err != nil {
		return Class{}, err
	}
	return *cl, nil
}

func (c *Classes) of(set scope.Set) (*Class, error) {
	var found *Class
	for _, v := range set {
		cl := c.get(v)
		if cl == nil {
			continue
		}
		if found != nil {
			return nil, scope.ErrManyClasses
		}
		found = cl
	}
	if found == nil {
		return nil, scope.ErrNoClass
	}
	return found, nil
}

// get returns the description called name, or nil.
func (c *Classes) get(name scope.Scope) *Class {
	l := c.all()
	for i := range l {
		if l[i].Name == name {
			return &l[i]
		}
	}
	return nil
}

func (c *Classes) all() []Class {
	if c == nil {
		return builtinClasses.list
	}
	return c.list
}

// permissions returns the values of set that name no class of c.
func (c *Classes) permissions(set scope.Set) []scope.Scope {
	var out []scope.Scope
	for _, v := range set {
		if c.get(v) == nil {
			out = append(out, v)
		}
	}
	return out
}
