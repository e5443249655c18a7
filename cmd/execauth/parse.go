package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// bundles is the fixed demo data of the reference server: the variables of
// each DAG bundle.
var bundles = map[string]map[string]string{
	"demo_bundle": {"greeting": "hello from demo_bundle"},
}

// parseRequest is the body of POST /processor/parse-tokens: the one file of
// one bundle the processor is about to parse.
type parseRequest struct {
	Bundle string `json:"bundle"`
	File   string `json:"file"`
}

// tokenResponse hands out a narrowed token in the body, in the shape of an
// RFC 8693 token exchange response (§2.2.1).
type tokenResponse struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"` // seconds the token is valid for (RFC 8693 §2.2.1)
	Scope           string `json:"scope"`
}

// maxFileName bounds the file named in a parse-token request.
const maxFileName = 1024

// parseToken trades the processor token of the request for a parse token
// bound to one file of one bundle: class parse, five minutes (never past the
// processor token's exp), the same audience, claims "bundle" and "file". The
// library refuses anything wider or longer-lived; this handler decides what
// to grant: only a bundle it knows and a file name without control
// characters. The token goes in the body, not in Refreshed-API-Token: the
// processor keeps its own token for its next calls.
func (a *api) parseToken(w http.ResponseWriter, r *http.Request) {
	var body parseRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&body); err != nil || !validFile(body.File) || body.Bundle == "" {
		writeDetail(w, http.StatusUnprocessableEntity, detail{
			Reason:  "invalid_body",
			Message: `the body must be a JSON object {"bundle": "<bundle name>", "file": "<file in the bundle>"}`,
		})
		return
	}
	if _, ok := bundles[body.Bundle]; !ok {
		writeDetail(w, http.StatusNotFound, detail{Reason: "not_found", Message: "no such bundle"})
		return
	}
	bundle, _ := json.Marshal(body.Bundle)
	file, _ := json.Marshal(body.File)
	raw, err := a.reissuer.Narrow(r, token.Grant{
		Class:  parseClass,
		Claims: map[string]json.RawMessage{"bundle": bundle, "file": file},
	})
	if err != nil {
		a.refuseNarrowing(w, r, err)
		return
	}
	// The server's own verifier reads the exp it minted (and would refuse a
	// token it could not accept: a misconfiguration, 500).
	c, err := a.verifier.Verify(r.Context(), string(raw))
	if err != nil {
		a.refuseNarrowing(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store") // a credential (RFC 6749 §5.1)
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: string(raw), IssuedTokenType: "urn:ietf:params:oauth:token-type:jwt",
		TokenType: "Bearer", ExpiresIn: int64(c.ExpiresAt.Sub(a.now()) / time.Second), Scope: string(parseClass),
	})
}

// refuseNarrowing answers a parse-token request the library refused: a
// processor token this server did not sign or that is expiring, 403; a
// failure to mint, 500.
func (a *api) refuseNarrowing(w http.ResponseWriter, r *http.Request, err error) {
	status, code, cause := http.StatusForbidden, middleware.CodeInsufficientScope, middleware.ErrInsufficientScope
	if !errors.Is(err, refresh.ErrNotExchangeable) {
		status, code, cause = http.StatusInternalServerError, "", middleware.ErrInternal
		a.log.ErrorContext(r.Context(), "parse-tokens: narrowing failed", slog.Any("err", err))
	}
	middleware.WriteError(w, &middleware.Error{Status: status, Code: code, Err: cause}, "")
}

// validFile accepts a non-empty file name of at most maxFileName bytes
// without control characters.
func validFile(s string) bool {
	return s != "" && len(s) <= maxFileName && !strings.ContainsFunc(s, unicode.IsControl)
}

// variable answers with a bundle's variable, or 404. A parse token reaches
// it only for its own bundle (RequireBinding).
func (a *api) variable(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	v, ok := bundles[r.PathValue("bundle")][key]
	if !ok {
		writeDetail(w, http.StatusNotFound, detail{Reason: "not_found", Message: "no such variable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"key": key, "value": v})
}
