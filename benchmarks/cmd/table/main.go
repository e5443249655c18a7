package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	floor := flag.String("floor", "floor", "contender `name` of the denominator in each algorithm's Verify group")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: table [-floor name] [file ...]  (stdin if no file)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(os.Stdout, *floor, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, floor string, files []string) error {
	var in io.Reader = os.Stdin
	if len(files) > 0 {
		readers := make([]io.Reader, 0, len(files))
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			readers = append(readers, f)
		}
		in = io.MultiReader(readers...)
	}
	results, err := parse(in)
	if err != nil {
		return err
	}
	if len(results) == 0 {
		return fmt.Errorf("no benchmark results named Benchmark<Group>/<algorithm>/<contender>")
	}
	return render(w, results, floor)
}
