package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// result is every run of one benchmark.
type result struct {
	group, alg, name       string
	ns, cpu, bytes, allocs []float64
	paired                 []float64 // the ratio a paired row reports
}

// procs is the -GOMAXPROCS suffix that go test appends to a name.
var procs = regexp.MustCompile(`-\d+$`)

// parse reads go test -bench output and returns the results in the order
// their names first appear.
func parse(r io.Reader) ([]*result, error) {
	var out []*result
	byName := make(map[string]*result)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // a log line that starts with a benchmark name
		}
		full := procs.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		parts := strings.SplitN(full, "/", 3)
		if len(parts) != 3 {
			continue
		}
		res := byName[full]
		if res == nil {
			res = &result{group: parts[0], alg: parts[1], name: parts[2]}
			byName[full] = res
			out = append(out, res)
		}
		// The rest are value-unit pairs: 123 ns/op 45 B/op 6 allocs/op.
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: value %q: %w", f[0], f[i], err)
			}
			switch f[i+1] {
			case "ns/op":
				res.ns = append(res.ns, v)
			case "cpu-ns/op":
				res.cpu = append(res.cpu, v)
			case "B/op":
				res.bytes = append(res.bytes, v)
			case "allocs/op":
				res.allocs = append(res.allocs, v)
			case "ratio":
				res.paired = append(res.paired, v)
			}
		}
	}
	return out, sc.Err()
}

// median returns the median of xs, or NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return nan
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// render writes one markdown table per algorithm, in order of appearance.
func render(w io.Writer, results []*result, floor string) error {
	var algs []string
	for _, r := range results {
		if !slices.Contains(algs, r.alg) {
			algs = append(algs, r.alg)
		}
	}
	bw := bufio.NewWriter(w)
	for i, alg := range algs {
		if i > 0 {
			bw.WriteString("\n")
		}
		// The denominator of a group's rows: its own floor row if it has
		// one, else the Verify group's.
		floors := map[string]*result{}
		for _, r := range results {
			if r.alg == alg && r.name == floor {
				floors[r.group] = r
			}
		}
		fmt.Fprintf(bw, "#### %s\n\n", alg)
		bw.WriteString("| benchmark | contender | ns/op | × floor | CPU ns/op | × floor | B/op | allocs/op | runs |\n")
		bw.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, r := range results {
			if r.alg != alg {
				continue
			}
			base, baseCPU := nan, nan
			if f := cmp.Or(floors[r.group], floors["Verify"]); f != nil {
				base, baseCPU = median(f.ns), median(f.cpu)
			}
			ns, cpu := median(r.ns), median(r.cpu)
			rate, rateCPU := ratio(ns, base), ratio(cpu, baseCPU)
			if len(r.paired) > 0 { // its own ratio; its ns/op is a pair of blocks
				rate, rateCPU = ratio(median(r.paired), 1)+" (paired)", "–"
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %s | %s | %s | %d |\n",
				r.group, r.name, number(ns), rate, number(cpu), rateCPU,
				number(median(r.bytes)), number(median(r.allocs)), len(r.ns))
		}
	}
	return bw.Flush()
}
