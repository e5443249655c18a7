package main

import (
	"math"
	"strconv"
)

var nan = math.NaN()

// number formats x with thousands separators; below 100 it keeps one
// decimal if it has one (medians of an even count can end in .5).
func number(x float64) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case x < 100 && x != math.Trunc(x):
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	s := strconv.FormatInt(int64(math.Round(x)), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ratio formats x / base with two decimals.
func ratio(x, base float64) string {
	if math.IsNaN(x) || math.IsNaN(base) || base == 0 {
		return "–"
	}
	return strconv.FormatFloat(x/base, 'f', 2, 64) + "×"
}
