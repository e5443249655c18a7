package main

import (
	"flag"
	"strings"

	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// required fails with a usage error naming the first flag of names left empty.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if fs.Lookup(n).Value.String() == "" {
			return usagef("-%s is required", n)
		}
	}
	return nil
}

// noArgs fails with a usage error when positional arguments follow the flags.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usagef("unexpected argument after the flags")
	}
	return nil
}

// audience splits a comma-separated -aud value, dropping blanks around items.
func audience(s string) ([]string, error) {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, usagef("-aud names no audience")
	}
	return out, nil
}

// class parses a -class value: one of the classes.
func class(s string) (token.Class, error) {
	if c, ok := classes.Lookup(scope.Scope(s)); ok {
		return c, nil
	}
	return token.Class{}, usagef("-class must be one of %s", classNames())
}
