#!/bin/sh
# run.sh [SECONDS] - runs every libFuzzer binary $FUZZ_O/fuzz_* (built by
# `make fuzz`) for SECONDS each (default 30), with a corpus directory
# $FUZZ_O/corpus/<name> seeded from tests/data/acme/ when it exists.
# Crash inputs land in $FUZZ_O/crash-<name>-*. Fails if any fuzzer fails.
set -eu

secs=${1:-30}
FUZZ_O=${FUZZ_O:-build-fuzz}
top=$(cd "$(dirname "$0")/../.." && pwd)
seeds=$top/tests/data/acme

case $secs in
''|*[!0-9]*) echo "fuzz: bad number of seconds: $secs" >&2; exit 64 ;;
esac

pass=0
fail=0
failed=
for bin in "$FUZZ_O"/fuzz_*; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		continue
	fi
	name=$(basename "$bin")
	corpus=$FUZZ_O/corpus/$name
	log=$FUZZ_O/log-$name.txt
	mkdir -p "$corpus"
	if [ -d "$seeds" ]; then
		for s in "$seeds"/*; do
			if [ -f "$s" ]; then
				cp "$s" "$corpus/"
			fi
		done
	fi
	if "$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$FUZZ_O/crash-$name-" "$corpus" >"$log" 2>&1
	then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "fuzz: $name failed; last lines of $log:" >&2
		tail -n 30 "$log" >&2
	fi
done

if [ $((pass + fail)) -eq 0 ]; then
	echo "fuzz: no fuzzers in $FUZZ_O (run make fuzz)" >&2
	exit 1
fi
echo "fuzz: $pass passed, $fail failed (${secs}s each)${failed:+:$failed}"
[ "$fail" -eq 0 ]
