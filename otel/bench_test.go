package execotel_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/execauth/execauth/observe"
	execotel "github.com/execauth/execauth/otel"
)

// BenchmarkAuthHook measures what an admitted request's event costs in
// OnAuth with the SDK's meter provider: a counter and a histogram. The
// "attributes per call" row builds the same two measurements' attribute
// sets on every call, as the hook would without its cache of options.
func BenchmarkAuthHook(b *testing.B) {
	ctx := context.Background()
	e := observe.Auth{
		Route: "PUT /task-instances/{id}/heartbeat", Class: "execution", Admitted: true,
		Start: time.Unix(0, 0), Duration: 40 * time.Microsecond,
	}
	b.Run("hook", func(b *testing.B) {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		hooks, err := execotel.New(execotel.Config{MeterProvider: mp})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			hooks.Auth(ctx, e)
		}
	})
	b.Run("attributes per call", func(b *testing.B) {
		m := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())).Meter("x")
		c, _ := m.Int64Counter("c")
		h, _ := m.Float64Histogram("h")
		b.ReportAllocs()
		for b.Loop() {
			c.Add(ctx, 1, metric.WithAttributes(
				attribute.String("http.route", e.Route), attribute.String("execauth.auth.stage", "authenticate"),
				attribute.String("execauth.outcome", "admitted"), attribute.String("execauth.token.class", e.Class)))
			h.Record(ctx, e.Duration.Seconds(), metric.WithAttributes(
				attribute.String("http.route", e.Route), attribute.String("execauth.outcome", "admitted"),
				attribute.Bool("execauth.cache.hit", e.CacheHit)))
		}
	})
}
