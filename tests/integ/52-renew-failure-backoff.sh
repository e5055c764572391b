#!/bin/sh
# 52-renew-failure-backoff - one failing certificate (its dns-01 hook
# fails) does not stop the other from being renewed; the run exits 3; the
# failure, its backoff and message are in the renewal state; the next run
# before the retry time does not try (the hook is not called) and exits 3;
# after it the certificate is renewed and the state cleared. With pebble
# down every certificate fails and backs off the same way.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
lab_dns_hook "$LAB_TMP/real-hook"
# the hook certd calls: fails while $LAB_TMP/fail exists, logs each call
cat >"$LAB_TMP/hook" <<EOF2
#!/bin/sh
set -eu
echo "\$*" >>'$LAB_TMP/hook-calls'
if [ -e '$LAB_TMP/fail' ]; then echo "scripted failure" >&2; exit 1; fi
exec '$LAB_TMP/real-hook' "\$@"
EOF2
chmod 755 "$LAB_TMP/hook"
: >"$LAB_TMP/hook-calls"

lab_expect 0 issue-a lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d a.example.test
lab_expect 0 issue-b lab_certd issue --challenge dns-01 \
    --dns-hook "$LAB_TMP/hook" -d b.example.test
st_b="$LAB_STATE/certs/b.example.test/renewal"
cur_b="$LAB_STATE/certs/b.example.test/current"
na=$(date -d "$(openssl x509 -in "$cur_b/cert.pem" -noout -enddate |
    cut -d= -f2)" +%s)
T=$((na - 86400))		# both due by lifetime

: >"$LAB_TMP/fail"
calls0=$(wc -l <"$LAB_TMP/hook-calls")
CERTD_FAKE_NOW=$T lab_expect 3 run1 lab_certd renew
cat "$LAB_TMP/run1.out"
grep -q '^certd: a\.example\.test: renewed (lifetime), v0002' \
    "$LAB_TMP/run1.out" || lab_die "run1: a was not renewed"
grep -q '^certd: b\.example\.test: failed: .*dns-01 hook add .*exit 1.*scripted failure.*(attempt 1, next in [0-9]* min)$' \
    "$LAB_TMP/run1.out" || lab_die "run1: b's failure line"
[ "$(readlink "$cur_b")" = v0001 ] || lab_die "run1: b changed"
cat "$st_b"
grep -qx 'failures=1' "$st_b" || lab_die "state: failures=1 missing"
grep -q '^last_error=.*scripted failure' "$st_b" ||
    lab_die "state: last_error missing"
retry=$(sed -n 's/^next_retry=//p' "$st_b")
if [ "$retry" -lt $((T + 150)) ] || [ "$retry" -gt $((T + 300)) ]; then
	lab_die "next_retry $retry not in [T+150, T+300] (first backoff)"
fi
calls1=$(wc -l <"$LAB_TMP/hook-calls")
[ "$calls1" -gt "$calls0" ] || lab_die "run1: the hook was not called"

# before the retry time: b is not tried at all, and still counts as failed
CERTD_FAKE_NOW=$((T + 60)) lab_expect 3 run2 lab_certd renew --name \
    b.example.test
cat "$LAB_TMP/run2.out"
grep -q '^certd: b\.example\.test: failed: waiting to retry in [0-9]* min after 1 failure: .*scripted failure' \
    "$LAB_TMP/run2.out" || lab_die "run2: expected the backoff line"
[ "$(wc -l <"$LAB_TMP/hook-calls")" = "$calls1" ] ||
    lab_die "run2: the hook was called during the backoff"
grep -qx 'failures=1' "$st_b" || lab_die "run2: the state changed"

# a second failure doubles the backoff
CERTD_FAKE_NOW=$((retry + 1)) lab_expect 3 run3 lab_certd renew --name \
    b.example.test
grep -qx 'failures=2' "$st_b" || lab_die "run3: failures=2 missing"
retry2=$(sed -n 's/^next_retry=//p' "$st_b")
if [ "$retry2" -lt $((retry + 1 + 300)) ] ||
    [ "$retry2" -gt $((retry + 1 + 600)) ]; then
	lab_die "second backoff $((retry2 - retry - 1)) not in [300, 600]"
fi

# fixed: renewed after the retry time, failures cleared
rm -f "$LAB_TMP/fail"
CERTD_FAKE_NOW=$((retry2 + 1)) lab_expect 0 run4 lab_certd renew
cat "$LAB_TMP/run4.out"
grep -q '^certd: b\.example\.test: renewed (lifetime), v0002' \
    "$LAB_TMP/run4.out" || lab_die "run4: b was not renewed"
grep -qx 'failures=0' "$st_b" || lab_die "run4: failures not cleared"
grep -q '^next_retry=' "$st_b" && lab_die "run4: next_retry kept"

# pebble down: everything fails (exit 3), each with its own backoff
# shellcheck disable=SC2154
lab_kill "$LAB_PID_pebble"
T2=$((retry2 + 2 * 86400))
CERTD_FAKE_NOW=$T2 lab_expect 3 down lab_certd --timeout 5 renew
cat "$LAB_TMP/down.out"
[ "$(grep -c ': failed: ' "$LAB_TMP/down.out")" = 2 ] ||
    lab_die "down: expected two failures"
for n in a b; do
	grep -qx 'failures=1' "$LAB_STATE/certs/$n.example.test/renewal" ||
	    lab_die "down: $n: failures=1 missing"
done
CERTD_FAKE_NOW=$((T2 + 10)) lab_expect 3 down2 lab_certd --timeout 5 renew
[ "$(grep -c 'waiting to retry' "$LAB_TMP/down2.out")" = 2 ] ||
    lab_die "down2: expected both to wait"
echo "52-renew-failure-backoff: ok"
