package main

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
pkg: github.com/execauth/execauth/benchmarks
cpu: Intel(R) Xeon(R) Processor
BenchmarkVerify/ES256/floor-2         	    3834	     90000 ns/op	     60000 cpu-ns/op	    1216 B/op	      21 allocs/op
BenchmarkVerify/ES256/execauth-2      	    3397	    100000 ns/op	     66000 cpu-ns/op	    3328 B/op	      38 allocs/op
BenchmarkVerify/ES256/floor-2         	    3834	     70000 ns/op	     50000 cpu-ns/op	    1216 B/op	      21 allocs/op
BenchmarkVerify/ES256/execauth-2      	    3397	    120000 ns/op	     90000 cpu-ns/op	    3328 B/op	      38 allocs/op
BenchmarkVerify/ES256/floor-2         	    3834	     80000 ns/op	     70000 cpu-ns/op	    1216 B/op	      21 allocs/op
BenchmarkVerify/ES256/execauth-2      	    3397	     90000 ns/op	     72000 cpu-ns/op	    3328 B/op	      38 allocs/op
BenchmarkMiddleware/ES256/execauth    	    3349	    160000 ns/op	    3952 B/op	      45 allocs/op
BenchmarkVerify/HS256/golang-jwt-2    	   21651	     11232 ns/op	    3880 B/op	      63 allocs/op
BenchmarkVerify/ES256/floor-2 logged a line
BenchmarkTopLevel-2                   	      10	       100 ns/op
PASS
`

func TestParse(t *testing.T) {
	t.Parallel()
	results, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	require.Len(t, results, 4)
	tests := []struct {
		i                int
		group, alg, name string
		runs             int
		ns, cpu          float64
	}{
		{i: 0, group: "Verify", alg: "ES256", name: "floor", runs: 3, ns: 80000, cpu: 60000},
		{i: 1, group: "Verify", alg: "ES256", name: "execauth", runs: 3, ns: 100000, cpu: 72000},
		{i: 2, group: "Middleware", alg: "ES256", name: "execauth", runs: 1, ns: 160000, cpu: nan},
		{i: 3, group: "Verify", alg: "HS256", name: "golang-jwt", runs: 1, ns: 11232, cpu: nan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := results[tc.i]
			assert.Equal(t, []string{tc.group, tc.alg, tc.name}, []string{r.group, r.alg, r.name})
			assert.Len(t, r.ns, tc.runs)
			assert.Len(t, r.allocs, tc.runs)
			assert.Equal(t, tc.ns, median(r.ns))
			if math.IsNaN(tc.cpu) {
				assert.Empty(t, r.cpu)
			} else {
				assert.Equal(t, tc.cpu, median(r.cpu))
			}
		})
	}
}

func TestParseBadValue(t *testing.T) {
	t.Parallel()
	_, err := parse(strings.NewReader("BenchmarkVerify/ES256/floor-2 10 x ns/op\n"))
	require.Error(t, err)
}

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{name: "one", xs: []float64{3}, want: 3},
		{name: "odd unsorted", xs: []float64{9, 1, 5}, want: 5},
		{name: "even", xs: []float64{4, 1, 3, 2}, want: 2.5},
		{name: "outlier ignored", xs: []float64{10, 11, 12, 1000, 11, 10}, want: 11},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, median(tc.xs))
		})
	}
	assert.True(t, math.IsNaN(median(nil)))
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		x, base   float64
		num, rate string
	}{
		{x: 0, base: 1, num: "0", rate: "0.00×"},
		{x: 2.5, base: 1, num: "2.5", rate: "2.50×"},
		{x: 999.4, base: 999.4, num: "999", rate: "1.00×"},
		{x: 1234567, base: 1000000, num: "1,234,567", rate: "1.23×"},
		{x: 100000, base: nan, num: "100,000", rate: "–"},
		{x: nan, base: 1, num: "–", rate: "–"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.num, number(tc.x))
		assert.Equal(t, tc.rate, ratio(tc.x, tc.base))
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	results, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, render(&buf, results, "floor"))
	want := `#### ES256

| benchmark | contender | ns/op | × floor | CPU ns/op | × floor | B/op | allocs/op | runs |
|---|---|--:|--:|--:|--:|--:|--:|--:|
| Verify | floor | 80,000 | 1.00× | 60,000 | 1.00× | 1,216 | 21 | 3 |
| Verify | execauth | 100,000 | 1.25× | 72,000 | 1.20× | 3,328 | 38 | 3 |
| Middleware | execauth | 160,000 | 2.00× | – | – | 3,952 | 45 | 1 |

#### HS256

| benchmark | contender | ns/op | × floor | CPU ns/op | × floor | B/op | allocs/op | runs |
|---|---|--:|--:|--:|--:|--:|--:|--:|
| Verify | golang-jwt | 11,232 | – | – | – | 3,880 | 63 | 1 |
`
	assert.Equal(t, want, buf.String())
}

// TestRenderGroupFloor: a group with a floor row of its own divides by it;
// one without divides by the Verify group's; a paired row shows the median
// of its own ratio.
func TestRenderGroupFloor(t *testing.T) {
	t.Parallel()
	results, err := parse(strings.NewReader(`
BenchmarkVerify/HS256/floor-2 	1	1000 ns/op
BenchmarkVerify/HS256/execauth-2 	1	1500 ns/op
BenchmarkMiddleware/HS256/floor-2 	1	800 ns/op
BenchmarkMiddleware/HS256/execauth-2 	1	2000 ns/op
BenchmarkExtra/HS256/execauth/extra=0-2 	1	3000 ns/op
BenchmarkFloorPaired/HS256/execauth-2 	1	150000 ns/op	 1900 execauth-ns/req	 950 floor-ns/req	 2.1 ratio
BenchmarkFloorPaired/HS256/execauth-2 	1	150000 ns/op	 1800 execauth-ns/req	 900 floor-ns/req	 2.0 ratio
`))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, render(&buf, results, "floor"))
	for _, row := range []string{
		"| Verify | execauth | 1,500 | 1.50× |",
		"| Middleware | floor | 800 | 1.00× |",
		"| Middleware | execauth | 2,000 | 2.50× |",
		"| Extra | execauth/extra=0 | 3,000 | 3.00× |",
		"| FloorPaired | execauth | 150,000 | 2.05× (paired) | – | – |",
	} {
		assert.Contains(t, buf.String(), row)
	}
}
