package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// Demo data of the parse step: a bundle the server knows, one it does not
// serve to a parse token of the first.
const (
	demoBundle      = "demo_bundle"
	demoOtherBundle = "other_bundle"
	demoFile        = "dags/etl.py"
)

// parse is step 8: the processor trades its token for a parse token bound to
// one file of one bundle, which reads a connection and its own bundle's
// variables, and nothing wider.
func (d *demoRun) parse() error {
	d.title("The processor trades its token for a parse token bound to one file (never wider, never longer)")
	src, err := refresh.NewFileSource(refresh.FileSourceConfig{Path: filepath.Join(d.dir, "processor.token"), Now: d.clock.now, Logger: d.log})
	if err != nil {
		return err
	}
	proc, err := d.client(src)
	if err != nil {
		return err
	}
	body := fmt.Sprintf(`{"bundle":%q,"file":%q}`, demoBundle, demoFile)
	r, err := d.send(proc, "", "the file's processor token", http.MethodPost, "/processor/parse-tokens", body)
	if err != nil {
		return err
	}
	var out tokenResponse
	_ = json.Unmarshal([]byte(r.body), &out) // checked below
	pc, err := d.inspect(out.AccessToken)
	if !d.check(r.status == http.StatusOK && err == nil && pc.Class() == parseClass && claimIs(pc, "bundle", demoBundle) && claimIs(pc, "file", demoFile),
		"200: a parse token for %s in %s (jti %s), valid for %v, in the body", demoFile, demoBundle, short(idOf(pc)), lifeOf(pc)) {
		return nil
	}
	parse := token.Raw(out.AccessToken)

	r, err = d.send(nil, parse, "the parse token", http.MethodGet, "/connections/"+demoConn, "")
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusOK, "200: it reads a connection")
	r, err = d.send(nil, parse, "the parse token", http.MethodGet, "/bundles/"+demoBundle+"/variables/greeting", "")
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusOK, "200: it reads its own bundle's variables")
	r, err = d.send(nil, parse, "the parse token", http.MethodGet, "/bundles/"+demoOtherBundle+"/variables/greeting", "")
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusForbidden, "403: not another bundle's")
	r, err = d.send(nil, parse, "the parse token", http.MethodPost, "/processor/parse-tokens", body)
	if err != nil {
		return err
	}
	d.check(r.status == http.StatusForbidden && strings.Contains(r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`),
		"403 insufficient_scope: a parse token is never exchanged further")
	return nil
}

// claimIs reports whether c carries the host claim name with the string value want.
func claimIs(c *token.Claims, name, want string) bool {
	if c == nil {
		return false
	}
	v, ok := c.Extra(name)
	var got string
	return ok && json.Unmarshal(v, &got) == nil && got == want
}

func idOf(c *token.Claims) string {
	if c == nil {
		return ""
	}
	return c.ID
}

func lifeOf(c *token.Claims) any {
	if c == nil {
		return "?"
	}
	return c.ExpiresAt.Sub(c.IssuedAt)
}
