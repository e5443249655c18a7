package refresh

import (
	"fmt"
	"net/url"
	"strings"
)

// origin is the scheme, host and port a [Transport] sends its token to (an
// origin in the sense of RFC 6454 §4): every part must match, so a
// redirect to the same host over http, or to another port, is elsewhere.
type origin struct {
	scheme string // "http" or "https"
	host   string // lower case, without brackets for IPv6
	port   string // explicit, or the scheme's default
}

// defaultPort is the port of a URL that names none.
var defaultPort = map[string]string{"http": "80", "https": "443"}

// parseOrigin reads a base URL: http or https, a host, an optional port, and
// nothing else (no user, path, query or fragment), so that the config says
// exactly what the token is bound to.
func parseOrigin(s string) (origin, error) {
	u, err := url.Parse(s)
	if err != nil {
		return origin{}, fmt.Errorf("%w: BaseURL: %w", ErrConfig, err)
	}
	switch {
	case defaultPort[u.Scheme] == "":
		return origin{}, fmt.Errorf("%w: BaseURL must start with http:// or https://", ErrConfig)
	case u.Hostname() == "":
		return origin{}, fmt.Errorf("%w: BaseURL has no host", ErrConfig)
	case u.User != nil, u.Opaque != "", u.Path != "" && u.Path != "/", u.RawQuery != "", u.ForceQuery, u.Fragment != "":
		return origin{}, fmt.Errorf("%w: BaseURL must be scheme://host[:port] and nothing more", ErrConfig)
	}
	return origin{scheme: u.Scheme, host: strings.ToLower(u.Hostname()), port: portOf(u)}, nil
}

// matches reports whether u is on the origin. Scheme and host compare
// without regard to letter case; a missing port is the scheme's default.
func (o origin) matches(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, o.scheme) && strings.EqualFold(u.Hostname(), o.host) && portOf(u) == o.port
}

// portOf returns u's port, or its scheme's default port when it names none
// ("" for a scheme without one, which matches no origin).
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return defaultPort[strings.ToLower(u.Scheme)]
}
