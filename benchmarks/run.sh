#!/bin/sh
# Runs every benchmark, keeps the raw output, and prints benchstat's summary
# (if benchstat can be had) and a markdown table of medians with ratios to
# the floor of each algorithm.
#
# Environment: COUNT (runs per benchmark, default 6), BENCHTIME (default
# 200ms), BENCH (benchmark regexp, default .), OUT (raw output file, default
# results/<UTC date>.txt), ROUNDS (default 1): more than one repeats the
# whole go test run, appending to OUT, so that a burst of load on a shared
# machine is spread over every contender instead of hitting one (ROUNDS=2
# COUNT=3 also gives six samples per benchmark). EXECAUTH_REDIS_ADDR
# (host:port of a redis-server) is the Redis of the revocation rows; if
# unset, they start miniredis in process.
set -eu
cd "$(dirname "$0")"

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-200ms}
BENCH=${BENCH:-.}
ROUNDS=${ROUNDS:-1}
OUT=${OUT:-results/$(date -u +%Y-%m-%dT%H%M%SZ).txt}
mkdir -p "$(dirname "$OUT")"

cmd="go test -run '^\$' -bench '$BENCH' -count $COUNT -benchtime $BENCHTIME -benchmem"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "go:      $(go version)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- .. 2>/dev/null || echo " + uncommitted changes")"
echo "nproc:   $(nproc)"
echo "cpu:     $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "command: $cmd (rounds: $ROUNDS)"
echo "redis:   ${EXECAUTH_REDIS_ADDR:-miniredis in process}"
echo "output:  $OUT"
echo

: >"$OUT"
round=0
while [ "$round" -lt "$ROUNDS" ]; do
	go test -run '^$' -bench "$BENCH" -count "$COUNT" -benchtime "$BENCHTIME" -benchmem | tee -a "$OUT"
	round=$((round + 1))
done
echo
# sh has no pipefail: a failed benchmark shows only in the output.
if grep -q -e "^--- FAIL" -e "^FAIL" "$OUT"; then
	echo "run.sh: a benchmark failed; see $OUT" >&2
	exit 1
fi

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
