#!/bin/sh
# 21-lock - runs are serialised by a lock on the state directory: while one
# issue waits in its dns-01 hook, other writers (issue, rollover, revoke)
# fail at once with 75 and one line, and change nothing; the first run then
# completes. No timing: the hook blocks until the test releases it.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
lab_root 0 >"$LAB_TMP/root.pem"
lab_dns_hook "$LAB_TMP/real-hook" "$LAB_TMP/hook-calls.txt"
# a hook that announces itself, then waits (bounded) for the go file
cat >"$LAB_TMP/slow-hook" <<EOF2
#!/bin/sh
set -eu
: >'$LAB_TMP/hook-entered'
i=0
while [ ! -e '$LAB_TMP/go' ] && [ \$i -lt 1200 ]; do
	sleep 0.1
	i=\$((i + 1))
done
exec '$LAB_TMP/real-hook' "\$@"
EOF2
chmod 755 "$LAB_TMP/slow-hook"

lab_expect 0 register lab_certd account register
lab_expect 0 first lab_certd issue --challenge http-01 --http-addr 127.0.0.1 \
    --http-port "$LAB_HTTP_PORT" --name held -d held.example.test

# not through the lab_certd function: $! must be certd's own PID
"$CERTD" --config "$LAB_CONF" --state-dir "$LAB_STATE" --server "$LAB_DIR_URL" \
    --ca-bundle "$LAB_CA" --agree-tos issue --challenge dns-01 \
    --dns-hook "$LAB_TMP/slow-hook" --hook-timeout 300 -d locked.example.test \
    >"$LAB_TMP/bg.out" 2>"$LAB_TMP/bg.err" &
bg=$!
# on failure: release the hook and stop the background run too
# shellcheck disable=SC2034 # run by lab_cleanup
LAB_ON_EXIT=": >'$LAB_TMP/go'"
LAB_PIDS="$LAB_PIDS $bg"
i=0
while [ ! -e "$LAB_TMP/hook-entered" ]; do
	kill -0 "$bg" 2>/dev/null || {
		cat "$LAB_TMP/bg.err" >&2
		lab_die "the background issue ended before its hook ran"
	}
	[ "$i" -lt 600 ] || lab_die "the hook was not called"
	sleep 0.1
	i=$((i + 1))
done

lab_snapshot "$LAB_STATE" "$LAB_TMP/snap0"
lab_expect 75 issue2 lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d other.example.test
cat "$LAB_TMP/issue2.err"
lab_one_error_line issue2
lab_expect 75 rollover lab_certd account rollover
lab_one_error_line rollover
lab_expect 75 revoke lab_certd revoke --name held
lab_one_error_line revoke
# readers do not need the lock
lab_expect 0 list lab_certd list
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap1"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap1" "while locked"

: >"$LAB_TMP/go"
rc=0
wait "$bg" || rc=$?
LAB_PIDS=${LAB_PIDS% "$bg"}
cat "$LAB_TMP/bg.out" "$LAB_TMP/bg.err"
[ "$rc" -eq 0 ] || lab_die "the locked issue failed with $rc"
lab_check_cert "$LAB_STATE/certs/locked.example.test/current" \
    "$LAB_TMP/root.pem"
# and now the others work again
lab_expect 0 issue3 lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d other.example.test
echo "21-lock: ok"
