package scope_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/scope"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    scope.Set
		wantErr error
	}{
		{name: "one class", in: "execution", want: scope.Set{scope.Execution}},
		{name: "class and permissions", in: "workload a:b c", want: scope.Set{scope.Workload, "a:b", "c"}},
		{name: "empty", in: "", wantErr: scope.ErrEmpty},
		{name: "leading space", in: " execution", wantErr: scope.ErrSyntax},
		{name: "trailing space", in: "execution ", wantErr: scope.ErrSyntax},
		{name: "double space", in: "execution  a", wantErr: scope.ErrSyntax},
		{name: "tab", in: "execution\ta", wantErr: scope.ErrSyntax},
		{name: "quote", in: `a"b`, wantErr: scope.ErrSyntax},
		{name: "backslash", in: `a\b`, wantErr: scope.ErrSyntax},
		{name: "non-ascii", in: "exécution", wantErr: scope.ErrSyntax},
		{name: "duplicate", in: "a execution a", wantErr: scope.ErrDuplicate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := scope.Parse(tc.in)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.in, got.String())
		})
	}
}

func TestClass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      scope.Set
		want    scope.Scope
		wantErr error
	}{
		{in: scope.Set{scope.Workload}, want: scope.Workload},
		{in: scope.Set{"x", scope.Processor, "y"}, want: scope.Processor},
		{in: scope.Set{"x"}, wantErr: scope.ErrNoClass},
		{in: nil, wantErr: scope.ErrNoClass},
		{in: scope.Set{scope.Execution, scope.Workload}, wantErr: scope.ErrManyClasses},
		{in: scope.Set{"Execution"}, wantErr: scope.ErrNoClass}, // case-sensitive
	}
	for _, tc := range tests {
		got, err := tc.in.Class()
		if tc.wantErr != nil {
			require.ErrorIs(t, err, tc.wantErr, "%v", tc.in)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
}

func TestHasAll(t *testing.T) {
	t.Parallel()
	s := scope.Set{scope.Execution, "connections:read", "variables:read"}
	assert.True(t, s.HasAll())
	assert.True(t, s.HasAll("connections:read", "variables:read"))
	assert.False(t, s.HasAll("connections:read", "connections:write"))
	assert.False(t, s.HasAll("Connections:read"))
	assert.False(t, s.HasAll("connections"))
}

func TestNew(t *testing.T) {
	t.Parallel()
	s, err := scope.New(scope.Processor, "a")
	require.NoError(t, err)
	assert.Equal(t, "processor a", s.String())
	_, err = scope.New(scope.Processor, "a b")
	require.ErrorIs(t, err, scope.ErrSyntax)
}

func TestJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(scope.Set{scope.Execution, "a"})
	require.NoError(t, err)
	assert.JSONEq(t, `"execution a"`, string(b))

	var s scope.Set
	require.NoError(t, json.Unmarshal([]byte(`"processor x"`), &s))
	assert.Equal(t, scope.Set{scope.Processor, "x"}, s)

	for _, bad := range []string{`["execution"]`, `1`, `null`, `true`, `{"a":1}`} {
		var s scope.Set
		err := json.Unmarshal([]byte(bad), &s)
		require.ErrorIs(t, err, scope.ErrNotString, bad)
	}
	require.ErrorIs(t, json.Unmarshal([]byte(`"a  b"`), &s), scope.ErrSyntax)
}

func TestIsClass(t *testing.T) {
	t.Parallel()
	for _, c := range scope.Classes() {
		assert.True(t, c.IsClass())
	}
	assert.False(t, scope.Scope("workloads").IsClass())
	assert.False(t, scope.Scope("").IsClass())
}

func TestClassesIsACopy(t *testing.T) {
	t.Parallel()
	c := scope.Classes()
	require.Len(t, c, 3)
	c[0] = "admin"
	assert.Equal(t, scope.Workload, scope.Classes()[0], "changing the returned slice changes nothing")
	assert.False(t, scope.Scope("admin").IsClass())
}
