// Package airflowvec loads the Airflow wire-compatibility vectors in
// testdata/airflow: tokens that PyJWT minted the way Apache Airflow mints
// them (vectors.json), and tokens this module mints for Airflow to verify
// (execauth.json). Only tests import it; it needs no Python.
package airflowvec

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Doc is one vectors file.
type Doc struct {
	About     string            `json:"_about,omitempty"`
	Keys      map[string]Key    `json:"keys"`
	Secrets   map[string]Secret `json:"secrets"`
	Tokens    []Token           `json:"tokens"`
	Constants Constants         `json:"constants"`
	Notes     map[string]string `json:"notes,omitempty"`

	dir string // the directory the file was read from
}

// Constants are the fixed inputs of the vectors.
type Constants struct {
	IAT      int64  `json:"iat"`
	Sub      string `json:"sub"`
	Audience string `json:"audience"`
	Issuer   string `json:"issuer_when_set"`
	Leeway   int64  `json:"leeway"`
}

// Key is a test key and what Airflow and RFC 7638 derive from it.
type Key struct {
	Alg        string          `json:"alg"`
	Kty        string          `json:"kty"`
	PEMFile    string          `json:"private_pem_file"`
	RFC7638KID string          `json:"rfc7638_kid"`
	AirflowKID *string         `json:"airflow_kid"` // nil for EC: Airflow derives none
	KIDInput   *string         `json:"airflow_kid_input,omitempty"`
	JWKS       json.RawMessage `json:"jwks"`                    // Airflow's key set (EC: an operator's)
	Execauth   json.RawMessage `json:"execauth_jwks,omitempty"` // the set `execauth jwks` prints (execauth.json only)
}

// Secret is an HMAC secret as Airflow's [api_auth] jwt_secret text.
type Secret struct {
	Text string `json:"text"`
}

// Token is one token and how it must verify.
type Token struct {
	Name   string          `json:"name"`
	Alg    string          `json:"alg"`
	Key    string          `json:"key"`
	Token  string          `json:"token"`
	Header map[string]any  `json:"header"`
	Claims json.RawMessage `json:"claims"`
	Verify Verify          `json:"verify"`
	Expect Expect          `json:"expect"`
	Notes  string          `json:"notes,omitempty"`
}

// Verify holds the verifier settings of a vector, as Airflow names them.
type Verify struct {
	KeySource  string   `json:"key_source"` // "secret", or the member of Key holding the JWK Set
	Secret     string   `json:"secret"`
	Key        string   `json:"key"`
	Algorithms []string `json:"algorithms"`
	Audience   []string `json:"audience"`
	Issuer     *string  `json:"issuer"`
	Leeway     int64    `json:"leeway"`
	Required   []string `json:"required_claims"`
	Now        int64    `json:"now"`
}

// Expect is Airflow's verdict: "accept", or "reject" with PyJWT's error names.
type Expect struct {
	Result string   `json:"result"`
	Errors []string `json:"errors,omitempty"`
}

// Time returns the vector's clock.
func (v Verify) Time() time.Time { return time.Unix(v.Now, 0) }

// Load reads name ("vectors.json", "execauth.json") from testdata/airflow
// at the root of this module, found by walking up from the working
// directory.
func Load(name string) (*Doc, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	d := &Doc{dir: dir}
	if err := json.Unmarshal(data, d); err != nil {
		return nil, fmt.Errorf("airflowvec: %s: %w", name, err)
	}
	return d, nil
}

// Dir returns the testdata/airflow directory of this module.
func Dir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "testdata", "airflow")
		if _, err := os.Stat(filepath.Join(cand, "vectors.json")); err == nil {
			return cand, nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("airflowvec: testdata/airflow not found above the working directory")
		}
	}
}

// PEM returns the private key file of the named key.
func (d *Doc) PEM(key string) ([]byte, error) {
	k, ok := d.Keys[key]
	if !ok {
		return nil, fmt.Errorf("airflowvec: no key %q", key)
	}
	return os.ReadFile(filepath.Join(d.dir, k.PEMFile))
}

// PEMPath returns the path of the named key's private key file.
func (d *Doc) PEMPath(key string) string {
	return filepath.Join(d.dir, d.Keys[key].PEMFile)
}

// Token returns the vector called name.
func (d *Doc) Token(name string) (Token, error) {
	for _, t := range d.Tokens {
		if t.Name == name {
			return t, nil
		}
	}
	return Token{}, fmt.Errorf("airflowvec: no token %q", name)
}
