package scope_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/execauth/execauth/scope"
)

// FuzzParse: Parse never panics; what it accepts round-trips through String
// and JSON unchanged, holds only valid distinct values, and Class agrees with
// a count of class values.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"execution", "workload a:b c", "processor", "", " ", "a  b", "execution workload", "\x00", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := scope.Parse(s)
		if err != nil {
			if set != nil {
				t.Fatal("values returned with an error")
			}
			return
		}
		if set.String() != s {
			t.Fatalf("String() = %q, want %q", set.String(), s)
		}
		classes := 0
		for i, v := range set {
			if !v.Valid() || strings.ContainsAny(string(v), " \"\\") {
				t.Fatalf("invalid value %q accepted", v)
			}
			for _, w := range set[:i] {
				if v == w {
					t.Fatalf("duplicate %q accepted", v)
				}
			}
			if v.IsClass() {
				classes++
			}
		}
		class, err := set.Class()
		if (classes == 1) != (err == nil) || (err == nil && !class.IsClass()) {
			t.Fatalf("Class() = %q, %v with %d class values", class, err, classes)
		}
		b, err := json.Marshal(set)
		if err != nil {
			t.Fatal(err)
		}
		var back scope.Set
		if err := json.Unmarshal(b, &back); err != nil || back.String() != s {
			t.Fatalf("JSON round trip: %q, %v", back.String(), err)
		}
	})
}
