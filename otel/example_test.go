package execotel_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	execotel "github.com/execauth/execauth/otel"
	"github.com/execauth/execauth/token"
)

// Exporting to Prometheus through OpenTelemetry's Prometheus exporter: the
// registry is scraped in-process and a few lines printed.
func Example_prometheus() {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		panic(err)
	}
	hooks, err := execotel.New(execotel.Config{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))})
	if err != nil {
		panic(err)
	}

	// A host: one route behind Authenticate, with the hooks.
	now := func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	key, _ := jwks.Generate(jwks.EdDSA)
	keys, _ := jwks.NewStatic(key.Public())
	iss, _ := token.NewIssuer(token.IssuerConfig{Keys: key, Issuer: "scheduler", Audience: []string{"api"}, Now: now})
	v, _ := token.NewVerifier(token.VerifierConfig{Keys: keys, Issuer: "scheduler", Audience: []string{"api"}, Now: now})
	auth := middleware.Authenticate(middleware.Config{Verifier: v, Hooks: hooks, Logger: slog.New(slog.DiscardHandler)})
	mux := http.NewServeMux()
	mux.Handle("PUT /task-instances/{id}/heartbeat", auth(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	task := uuid.New()
	exe, _ := iss.Execution(task)
	for _, authz := range []string{"Bearer " + string(exe), "Bearer " + string(exe), ""} {
		r := httptest.NewRequest(http.MethodPut, "/task-instances/"+task.String()+"/heartbeat", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		mux.ServeHTTP(httptest.NewRecorder(), r)
	}

	// Scrape.
	scrape := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(scrape, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	lines := bufio.NewScanner(scrape.Body)
	for lines.Scan() {
		line := lines.Text()
		if strings.HasPrefix(line, "execauth_auth_requests_total") || strings.HasPrefix(line, "execauth_verify_duration_seconds_count") {
			fmt.Println(line)
		}
	}
	// Output:
	// execauth_auth_requests_total{execauth_auth_stage="authenticate",execauth_outcome="admitted",execauth_token_class="execution",http_route="PUT /task-instances/{id}/heartbeat"} 2
	// execauth_auth_requests_total{execauth_auth_stage="authenticate",execauth_outcome="rejected",execauth_reason="no_credentials",http_response_status_code="401",http_route="PUT /task-instances/{id}/heartbeat"} 1
	// execauth_verify_duration_seconds_count{execauth_cache_hit="false",execauth_outcome="admitted",http_route="PUT /task-instances/{id}/heartbeat"} 2
}
