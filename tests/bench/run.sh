#!/bin/sh
# run.sh - `make bench`: every benchmark of tests/bench/, each measured
# side by side with its peer in the same run. Needs CERTD and O (absolute
# paths); BENCH_ONLY=NAME runs just tests/bench/NAME.sh or NAME (C).
# Reports go to stdout and to $O/bench/*.md.
set -eu
: "${CERTD:?CERTD must name the certd binary}"
: "${O:?O must name the build directory}"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$O/bench"
failed=0
for b in "$here"/*.sh; do
	name=$(basename "$b" .sh)
	[ "$name" = run ] && continue
	[ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != "$name" ] && continue
	echo "=== bench: $name"
	sh "$b" || { echo "bench $name failed" >&2; failed=1; }
done
if [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = verdict ]; then
	echo "=== bench: verdict (in-process)"
	d=$(mktemp -d)
	if "$O/tests/bench/verdict_bench" "$d" 200000 >"$O/bench/verdict.md"
	then
		cat "$O/bench/verdict.md"
	else
		failed=1
	fi
	rm -rf "$d"
fi
exit "$failed"
