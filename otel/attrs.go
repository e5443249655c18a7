package execotel

import (
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Attribute keys: OpenTelemetry's semantic conventions where one fits
// (http.route, http.response.status_code, url.full), else under execauth.
const (
	httpRoute  = attribute.Key("http.route")
	httpStatus = attribute.Key("http.response.status_code")
	urlFull    = attribute.Key("url.full")
	outcome    = attribute.Key("execauth.outcome")
	reason     = attribute.Key("execauth.reason")
	class      = attribute.Key("execauth.token.class")
	stage      = attribute.Key("execauth.auth.stage")
	cacheHit   = attribute.Key("execauth.cache.hit")
	kind       = attribute.Key("execauth.reissue.kind")
	forced     = attribute.Key("execauth.forced")
)

// Values of execauth.outcome and execauth.auth.stage this package adds to
// the observe package's outcomes.
const (
	admitted     = "admitted"
	rejected     = "rejected"
	succeeded    = "ok"
	failed       = "error"
	authenticate = "authenticate"
	requirement  = "requirement"
	changed      = "changed"
	unchanged    = "unchanged"
)

// optionCache keeps one measurement option per label combination, so that a
// request builds no attribute set. Combinations are bounded: route
// patterns, classes and codes. It is safe for concurrent use.
type optionCache[K comparable] struct {
	build func(K) attribute.Set
	mu    sync.RWMutex
	m     map[K]metric.MeasurementOption
}

func (c *optionCache[K]) get(k K) metric.MeasurementOption {
	c.mu.RLock()
	o, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return o
	}
	o = metric.WithAttributeSet(c.build(k))
	c.mu.Lock()
	if c.m == nil {
		c.m = map[K]metric.MeasurementOption{}
	}
	c.m[k] = o
	c.mu.Unlock()
	return o
}

// authKey labels execauth.auth.requests.
type authKey struct {
	route, class, reason string
	status               int
	admitted, req        bool
}

func (k authKey) set() attribute.Set {
	kv := []attribute.KeyValue{httpRoute.String(k.route), stage.String(authenticate), outcome.String(admitted)}
	if k.req {
		kv[1] = stage.String(requirement)
	}
	if !k.admitted {
		kv[2] = outcome.String(rejected)
		kv = append(kv, reason.String(k.reason), httpStatus.Int(k.status))
	}
	if k.class != "" {
		kv = append(kv, class.String(k.class))
	}
	return attribute.NewSet(kv...)
}

// verifyKey labels execauth.verify.duration.
type verifyKey struct {
	route         string
	admitted, hit bool
}

func (k verifyKey) set() attribute.Set {
	o := admitted
	if !k.admitted {
		o = rejected
	}
	return attribute.NewSet(httpRoute.String(k.route), outcome.String(o), cacheHit.Bool(k.hit))
}

// reissueKey labels execauth.reissue.decisions.
type reissueKey struct {
	kind, outcome, reason, route, class string
	status                              int
}

func (k reissueKey) set() attribute.Set {
	kv := []attribute.KeyValue{
		kind.String(k.kind), outcome.String(k.outcome), httpRoute.String(k.route), class.String(k.class),
	}
	if k.reason != "" {
		kv = append(kv, reason.String(k.reason))
	}
	if k.status != 0 {
		kv = append(kv, httpStatus.Int(k.status))
	}
	return attribute.NewSet(kv...)
}
