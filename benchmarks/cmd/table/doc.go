// Command table prints the medians of `go test -bench` output as markdown,
// one table per algorithm: ns/op and cpu-ns/op (when reported), each with
// its ratio to the floor, B/op and allocs/op.
//
// Benchmark names must read Benchmark<Group>/<algorithm>/<contender>; the
// row named floor in a group is the denominator of that group's ratios, and
// the Verify group's floor that of a group without one. A row that reports a
// ratio of its own (a paired row, which times the floor beside it) shows the
// median of that instead. Lines that are not results are skipped.
//
// # Example
//
//	go test -run '^$' -bench . -count 6 -benchmem > bench.txt
//	go run ./cmd/table bench.txt
package main
