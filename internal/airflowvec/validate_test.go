package airflowvec

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Go encoding of Airflow's validator reaches PyJWT's verdict on every
// token PyJWT minted, so that it can stand in for it on tokens minted here.
func TestValidateAgreesWithPyJWT(t *testing.T) {
	t.Parallel()
	doc, err := Load("vectors.json")
	require.NoError(t, err)
	require.NotEmpty(t, doc.Tokens)
	for _, v := range doc.Tokens {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			claims, err := doc.Validate(v.Token, v.Verify)
			if v.Expect.Result == "accept" {
				require.NoError(t, err)
				var want map[string]any
				dec := json.NewDecoder(bytesReader(v.Claims))
				dec.UseNumber()
				require.NoError(t, dec.Decode(&want))
				assert.Equal(t, want, claims)
				return
			}
			require.Error(t, err)
			matched := false
			for _, name := range v.Expect.Errors {
				matched = matched || errors.Is(err, ErrorNamed(name))
			}
			assert.True(t, matched, "got %v, want one of %v", err, v.Expect.Errors)
		})
	}
}

// A token altered after signing is refused whatever its key source.
func TestValidateRefusesTampering(t *testing.T) {
	t.Parallel()
	doc, err := Load("vectors.json")
	require.NoError(t, err)
	for _, v := range doc.Tokens {
		if v.Expect.Result != "accept" {
			continue
		}
		tampered := v.Token[:len(v.Token)-4] + "AAAA"
		if tampered == v.Token {
			tampered = v.Token[:len(v.Token)-4] + "BBBB"
		}
		_, err := doc.Validate(tampered, v.Verify)
		require.ErrorIs(t, err, ErrInvalidSignature, v.Name)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
