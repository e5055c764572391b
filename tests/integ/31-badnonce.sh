#!/bin/sh
# 31-badnonce - a CA that rejects every nonce (PEBBLE_WFE_NONCEREJECT=100):
# certd retries a bounded number of times, then gives up as temporary (75)
# with one line naming badNonce, and the state directory is left alone.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start nonce=100

for c in register issue; do
	lab_snapshot "$LAB_STATE" "$LAB_TMP/snap0"
	case $c in
	register) set -- account register ;;
	issue) set -- issue --challenge http-01 --http-addr 127.0.0.1 \
	    --http-port "$LAB_HTTP_PORT" -d nonce.example.test ;;
	esac
	lab_expect 75 "$c" lab_certd "$@"
	cat "$LAB_TMP/$c.err"
	lab_one_error_line "$c"
	grep -q 'badNonce' "$LAB_TMP/$c.err" ||
	    lab_die "$c: the message does not name badNonce"
	lab_snapshot "$LAB_STATE" "$LAB_TMP/snap1"
	lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap1" "$c"
done
# the retries are bounded: a handful of POSTs, not a loop
posts=$(grep -c 'POST /sign-me-up' "$LAB_TMP/pebble.log" || true)
echo "newAccount POSTs: $posts"
[ "$posts" -ge 2 ] || lab_die "badNonce was not retried"
[ "$posts" -le 20 ] || lab_die "badNonce retried $posts times"
echo "31-badnonce: ok"
