package main

import (
	"strings"
	"time"

	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// parseClass is the class of the tokens the reference server hands a
// processor for one file of one bundle (POST /processor/parse-tokens): five
// minutes, never reissued, never exchanged further.
const (
	parseClass scope.Scope = "parse"
	parseTTL               = 5 * time.Minute
)

// classes are the token classes of the reference server and of every
// subcommand: the built-ins and parse. The value is immutable.
var classes = func() *token.Classes {
	c, err := token.NewClasses(token.Class{Name: parseClass, TTL: parseTTL})
	if err != nil {
		panic(err) // a fixed, valid description
	}
	return c
}()

// classNames lists the classes for usage messages: "workload, execution, …".
func classNames() string {
	var names []string
	for _, n := range classes.Names() {
		names = append(names, string(n))
	}
	return strings.Join(names, ", ")
}
