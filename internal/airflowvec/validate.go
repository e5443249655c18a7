package airflowvec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
)

// Rejections of [Validate], named after the PyJWT or pydantic errors that
// Airflow's validator raises for the same token (the vectors' expect.errors).
var (
	ErrKeyError            = errors.New("KeyError")
	ErrInvalidToken        = errors.New("InvalidTokenError")
	ErrInvalidAlgorithm    = errors.New("InvalidAlgorithmError")
	ErrInvalidSignature    = errors.New("InvalidSignatureError")
	ErrMissingRequired     = errors.New("MissingRequiredClaimError")
	ErrInvalidAudience     = errors.New("InvalidAudienceError")
	ErrInvalidIssuer       = errors.New("InvalidIssuerError")
	ErrExpiredSignature    = errors.New("ExpiredSignatureError")
	ErrImmatureSignature   = errors.New("ImmatureSignatureError")
	ErrInvalidSubject      = errors.New("InvalidSubjectError")
	ErrInvalidJTI          = errors.New("InvalidJTIError")
	ErrValidation          = errors.New("ValidationError")
	ErrDecode              = errors.New("DecodeError")
	errExpectationMismatch = errors.New("airflowvec: unknown error name")
)

// ErrorNamed returns the rejection called name, as the vectors spell it.
func ErrorNamed(name string) error {
	for _, e := range []error{ErrKeyError, ErrInvalidToken, ErrInvalidAlgorithm, ErrInvalidSignature,
		ErrMissingRequired, ErrInvalidAudience, ErrInvalidIssuer, ErrExpiredSignature,
		ErrImmatureSignature, ErrInvalidSubject, ErrInvalidJTI, ErrValidation, ErrDecode} {
		if e.Error() == name {
			return e
		}
	}
	return fmt.Errorf("%w: %s", errExpectationMismatch, name)
}

// Validate checks raw the way Apache Airflow's Execution API validates a task
// token (its JWTValidator over PyJWT 2.10, then the TIClaims model), with the
// key material and settings of v taken from d: an HMAC secret used as the
// UTF-8 bytes of its text, or a JWK Set whose key is found by the token's
// kid and bound to its "alg" or, without one, to the default of its type
// (RS256, ES256, EdDSA). It returns the claims, or the error Airflow raises.
// Signatures are checked with golang-jwt, independently of this module's
// verifier.
func (d *Doc) Validate(raw string, v Verify) (map[string]any, error) {
	header, err := segment(raw, 0)
	if err != nil {
		return nil, err
	}
	alg, _ := header["alg"].(string)
	var key any
	algs := v.Algorithms
	if v.KeySource == "secret" {
		key = []byte(d.Secrets[v.Secret].Text)
		if len(algs) == 0 {
			algs = []string{"HS512"}
		}
	} else {
		var bound string
		if key, bound, err = d.jwk(header, v); err != nil {
			return nil, err
		}
		if !slices.Contains(algs, alg) || alg != bound {
			return nil, ErrInvalidAlgorithm
		}
		algs = []string{bound}
	}
	parser := jwt.NewParser(jwt.WithValidMethods(algs), jwt.WithoutClaimsValidation())
	if _, err := parser.Parse(raw, func(*jwt.Token) (any, error) { return key, nil }); err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenSignatureInvalid):
			return nil, ErrInvalidSignature
		case errors.Is(err, jwt.ErrTokenUnverifiable):
			return nil, ErrInvalidAlgorithm
		}
		return nil, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	claims, err := segment(raw, 1)
	if err != nil {
		return nil, err
	}
	if err := v.checkClaims(claims); err != nil {
		return nil, err
	}
	return claims, checkTIClaims(claims)
}

// jwk finds the key for the token's kid in the vector's JWK Set and the
// algorithm PyJWT binds it to.
func (d *Doc) jwk(header map[string]any, v Verify) (key any, bound string, err error) {
	kid, ok := header["kid"].(string)
	if !ok {
		return nil, "", ErrInvalidToken
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	entry := d.Keys[v.Key]
	doc := entry.JWKS
	if v.KeySource == "execauth_jwks" {
		doc = entry.Execauth
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, "", err
	}
	for _, m := range set.Keys {
		if m["kid"] != kid {
			continue
		}
		bound, _ = m["alg"].(string)
		if bound == "" {
			switch m["kty"] {
			case "RSA":
				bound = "RS256"
			case "EC":
				bound = map[any]string{"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}[m["crv"]]
			case "OKP":
				bound = "EdDSA"
			}
		}
		one, err := json.Marshal(map[string]any{"keys": []any{m}})
		if err != nil {
			return nil, "", err
		}
		keys, _, err := jwks.ParseSet(one)
		if err != nil || len(keys) != 1 {
			return nil, "", fmt.Errorf("%w: key", ErrDecode)
		}
		return keys[0].Material(), bound, nil
	}
	return nil, "", ErrKeyError
}

// checkClaims applies PyJWT's decode options as Airflow sets them.
func (v Verify) checkClaims(c map[string]any) error {
	for _, name := range v.Required {
		if _, ok := c[name]; !ok {
			return ErrMissingRequired
		}
	}
	now := v.Now
	if _, ok := c["iat"]; ok {
		iat, ok := integer(c["iat"])
		if !ok {
			return ErrImmatureSignature
		}
		if iat > now+v.Leeway {
			return ErrImmatureSignature
		}
	}
	if nbf, ok := c["nbf"]; ok {
		n, isInt := integer(nbf)
		if !isInt || n > now+v.Leeway {
			return ErrImmatureSignature
		}
	}
	if exp, ok := c["exp"]; ok {
		n, isInt := integer(exp)
		if !isInt || n <= now-v.Leeway {
			return ErrExpiredSignature
		}
	}
	if v.Issuer != nil && c["iss"] != *v.Issuer {
		return ErrInvalidIssuer
	}
	var auds []any
	switch a := c["aud"].(type) {
	case string:
		auds = []any{a}
	case []any:
		auds = a
	default:
		return ErrInvalidAudience
	}
	found := false
	for _, a := range auds {
		s, ok := a.(string)
		if !ok {
			return ErrInvalidAudience
		}
		found = found || slices.Contains(v.Audience, s)
	}
	if !found {
		return ErrInvalidAudience
	}
	for name, err := range map[string]error{"sub": ErrInvalidSubject, "jti": ErrInvalidJTI} {
		if x, ok := c[name]; ok {
			if _, isString := x.(string); !isString {
				return err
			}
		}
	}
	return nil
}

// checkTIClaims is the Execution API's claim model: scope defaults to
// execution and must be a task scope, sub a UUID, exp, iat and nbf integers.
func checkTIClaims(c map[string]any) error {
	scope, ok := c["scope"]
	if !ok {
		scope = "execution"
	}
	if scope != "execution" && scope != "workload" {
		return fmt.Errorf("%w: scope", ErrValidation)
	}
	sub, _ := c["sub"].(string)
	if _, err := uuid.Parse(sub); err != nil {
		return fmt.Errorf("%w: sub", ErrValidation)
	}
	for _, name := range []string{"exp", "iat", "nbf"} {
		if _, ok := integer(c[name]); !ok {
			return fmt.Errorf("%w: %s", ErrValidation, name)
		}
	}
	return nil
}

// integer returns v as an integer if it is a JSON number without fraction.
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// segment decodes part i (0 header, 1 claims) of a compact token, keeping
// numbers as json.Number.
func segment(raw string, i int) (map[string]any, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, ErrDecode
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		return nil, ErrDecode
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, ErrDecode
	}
	return m, nil
}
