#!/bin/sh
# Runs every benchmark, keeps the raw output, and prints benchstat's summary
# (if benchstat can be had) and a markdown table of medians with ratios to
# the floor of each algorithm.
#
# Environment: COUNT (runs per benchmark, default 6), BENCHTIME (default
# 200ms), BENCH (benchmark regexp, default .), OUT (raw output file, default
# results/<UTC date>.txt).
set -eu
cd "$(dirname "$0")"

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-200ms}
BENCH=${BENCH:-.}
OUT=${OUT:-results/$(date -u +%Y-%m-%dT%H%M%SZ).txt}
mkdir -p "$(dirname "$OUT")"

cmd="go test -run '^\$' -bench '$BENCH' -count $COUNT -benchtime $BENCHTIME -benchmem"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "go:      $(go version)"
echo "nproc:   $(nproc)"
echo "cpu:     $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "command: $cmd"
echo "output:  $OUT"
echo

go test -run '^$' -bench "$BENCH" -count "$COUNT" -benchtime "$BENCHTIME" -benchmem | tee "$OUT"
echo

benchstat=$(command -v benchstat || true)
if [ -z "$benchstat" ]; then
	gobin=$(go env GOBIN)
	benchstat=${gobin:-$(go env GOPATH)/bin}/benchstat
	if [ ! -x "$benchstat" ]; then
		go install golang.org/x/perf/cmd/benchstat@latest || benchstat=
	fi
fi
if [ -n "$benchstat" ] && [ -x "$benchstat" ]; then
	"$benchstat" "$OUT"
	echo
else
	echo "benchstat not available; skipping its summary" >&2
fi

go run ./cmd/table "$OUT"
