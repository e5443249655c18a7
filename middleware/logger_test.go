package middleware_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
)

// A nil Config.Logger means slog.Default(), as everywhere in the module.
// Not parallel: it swaps the process-wide default logger.
func TestNilLoggerMeansDefault(t *testing.T) {
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	h := middleware.Authenticate(middleware.Config{Verifier: f.verifier})(new(counter))
	rec := get(h, "/x", "Bearer abc")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Contains(t, buf.String(), `"reason":"malformed"`)
	assert.NotContains(t, buf.String(), "abc", "no token content")
}
