package middleware

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzFromHeader: extraction never panics, fails only with its two
// sentinels, and returns only a single RFC 6750 b64token that was in the
// header after "Bearer" and spaces.
func FuzzFromHeader(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer a.b.c", "BEARER  x=", "Bearer", "Bearer ", "Bearer\tabc",
		"Bearer a b", "Basic dXNlcjpwYXNz", "", " Bearer abc", "Bearer a\r\nb", "Bearer ~+/.-_=="} {
		f.Add(s, false)
	}
	f.Add("Bearer abc", true)
	f.Fuzz(func(t *testing.T, value string, twice bool) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{value}
		if twice {
			r.Header["Authorization"] = append(r.Header["Authorization"], value)
		}
		tok, err := FromHeader(r)
		if err != nil {
			if tok != "" {
				t.Fatal("token returned with an error")
			}
			if !errors.Is(err, ErrNoCredentials) && !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("unexpected error %v", err)
			}
			// Short values can occur inside the fixed messages ("Bearer"); a
			// 16-byte value cannot unless the message echoes it.
			if len(value) >= 16 && strings.Contains(err.Error(), value) {
				t.Fatal("error message echoes the header")
			}
			return
		}
		if twice {
			t.Fatal("accepted two Authorization fields")
		}
		if !isB64Token(tok) || !strings.HasSuffix(value, " "+tok) || !strings.EqualFold(value[:6], "bearer") {
			t.Fatalf("accepted %q from %q", tok, value)
		}
		if strings.TrimLeft(value[6:len(value)-len(tok)], " ") != "" {
			t.Fatalf("something other than spaces between scheme and token in %q", value)
		}
	})
}
