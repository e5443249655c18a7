package token_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// A host registers a parse class and narrows a processor token to a parse
// token bound to one file; asking for more than the processor token allows is
// refused.
func ExampleIssuer_Narrow() {
	key, _ := jwks.NewSigningKey("key-1", "", ed25519.NewKeyFromSeed(make([]byte, 32)))
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return at }
	classes, err := token.NewClasses(token.Class{Name: "parse", TTL: 5 * time.Minute})
	if err != nil {
		panic(err)
	}
	iss, _ := token.NewIssuer(token.IssuerConfig{
		Keys: key, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock, Classes: classes,
	})
	keys, _ := jwks.NewStatic(key.Public())
	v, _ := token.NewVerifier(token.VerifierConfig{
		Keys: keys, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock, Classes: classes,
	})

	raw, _ := iss.Processor("dag-processor")
	processor, _ := v.Verify(context.Background(), string(raw))

	parse, err := iss.Narrow(processor, token.Grant{
		Class:  "parse",
		Claims: map[string]json.RawMessage{"bundle": json.RawMessage(`"dags"`), "file": json.RawMessage(`"etl.py"`)},
	})
	if err != nil {
		panic(err)
	}
	c, _ := v.Verify(context.Background(), string(parse))
	file, _ := c.Extra("file")
	fmt.Println(c.Class(), c.Subject, c.ExpiresAt.Sub(c.IssuedAt), string(file))

	_, err = iss.Narrow(processor, token.Grant{Class: "parse", Audience: []string{"admin-api"}})
	fmt.Println("wider audience:", errors.Is(err, token.ErrNarrowing))
	_, err = iss.Narrow(c, token.Grant{Class: "parse"})
	fmt.Println("parse again:", errors.Is(err, token.ErrNarrowing))
	// Output:
	// parse dag-processor 5m0s "etl.py"
	// wider audience: true
	// parse again: true
}
