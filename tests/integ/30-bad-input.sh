#!/bin/sh
# 30-bad-input - usage errors (64), an unreachable or untrusted server (69),
# servers that answer an HTML page, broken or oversized JSON (76), and a
# challenge that fails validation (1): each failure prints exactly one line
# "certd: ..." on stderr and leaves the state directory byte-for-byte alone.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start

# check RC NAME CMD...: exit status, one error line, state unchanged
check() {
	_st=$LAB_STATE
	lab_snapshot "$_st" "$LAB_TMP/$2.before"
	lab_expect "$@"
	printf '%-12s exit %s: %s\n' "$2" "$LAB_EXIT" "$(head -n 1 "$LAB_TMP/$2.err")"
	lab_one_error_line "$2"
	lab_snapshot "$_st" "$LAB_TMP/$2.after"
	lab_same_snapshot "$LAB_TMP/$2.before" "$LAB_TMP/$2.after" "$2"
	if [ -s "$LAB_TMP/$2.out" ]; then
		cat "$LAB_TMP/$2.out" >&2
		lab_die "$2: unexpected output on stdout"
	fi
}

# --- a state directory with a registered account
lab_expect 0 register lab_certd account register
[ -d "$LAB_STATE" ] || lab_die "account register made no state directory"

check 64 unknownflag lab_certd issue --no-such-flag -d a.example.test
check 64 unknownglobal lab_certd --no-such-global issue -d a.example.test
check 64 unknowncmd lab_certd no-such-command
check 64 missingname lab_certd issue
check 64 badname lab_certd issue -d 'bad name!'
check 64 badname2 lab_certd issue -d 'a..example.test'
check 64 badkeytype lab_certd issue -d a.example.test --key-type dsa1024
check 64 badchallenge lab_certd issue -d a.example.test --challenge http-02
check 64 badport lab_certd issue -d a.example.test --http-port 70000

# http-01 answered on a port pebble does not use: validation fails (1)
other=$(lab_ports 1)
check 1 invalidchall lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$other" -d fail.example.test
grep -q 'fail.example.test' "$LAB_TMP/invalidchall.err" ||
    lab_die "the validation error does not name fail.example.test"
# nothing listens where pebble looks either (tls-alpn-01 on the wrong port)
check 1 invalidalpn lab_certd issue --challenge tls-alpn-01 \
    --tls-addr 127.0.0.1 --tls-port "$other" -d fail2.example.test
# the lab is still fine: the same account can issue
lab_expect 0 good lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d ok.example.test

# a first issue that fails validation on a fresh state directory: the new
# account is not kept (the directory is still absent afterwards)
LAB_STATE="$LAB_TMP/state-fresh"
check 1 freshinvalid lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$other" -d fail3.example.test

# --- network failures, on a state directory that does not exist yet
LAB_STATE="$LAB_TMP/state-net"
bad() {
	"$CERTD" --config "$LAB_CONF" --state-dir "$LAB_STATE" \
	    --ca-bundle "$LAB_CA" --agree-tos --server "$1" issue \
	    --challenge http-01 --http-addr 127.0.0.1 \
	    --http-port "$LAB_HTTP_PORT" -d net.example.test
}
closed=$(lab_ports 1)
check 69 unreachable bad "https://127.0.0.1:$closed/dir"
# pebble itself, but with a CA bundle that does not sign its certificate
lab_mkcert "$LAB_TMP/other-ca"
check 69 untrusted "$CERTD" --config "$LAB_CONF" --state-dir "$LAB_STATE" \
    --ca-bundle "$LAB_TMP/other-ca/ca.pem" --agree-tos \
    --server "$LAB_DIR_URL" issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d net.example.test
check '64|78' plainhttp bad "http://127.0.0.1:$closed/dir"

printf '<!DOCTYPE html>\n<html><head><title>Welcome</title></head>\n<body><p>It works!</p></body></html>\n' \
    >"$LAB_TMP/page.html"
lab_bad_https 200 text/html "$LAB_TMP/page.html"
check 76 html bad "$LAB_BAD_URL"

printf '{"newNonce": "https://127.0.0.1/nonce", "newAccount": ' \
    >"$LAB_TMP/broken.json"
lab_bad_https 200 application/json "$LAB_TMP/broken.json"
check 76 brokenjson bad "$LAB_BAD_URL"

printf '["not", "a", "directory"]\n' >"$LAB_TMP/array.json"
lab_bad_https 200 application/json "$LAB_TMP/array.json"
check 76 wrongjson bad "$LAB_BAD_URL"

# valid JSON, but larger than any ACME body may be (ACME_JSON_MAX is 256 KiB)
"$LAB_PY" -c '
import sys
sys.stdout.write("{\"newNonce\": \"https://127.0.0.1/" + "a" * 400000 + "\"}")
' >"$LAB_TMP/big.json"
lab_bad_https 200 application/json "$LAB_TMP/big.json"
check 76 oversized bad "$LAB_BAD_URL"

# an RFC 7807 problem document is the server refusing: 1, with its detail
printf '{"type": "urn:ietf:params:acme:error:serverInternal", "detail": "lab CA is closed", "status": 500}\n' \
    >"$LAB_TMP/problem.json"
lab_bad_https 500 application/problem+json "$LAB_TMP/problem.json"
check 1 problem bad "$LAB_BAD_URL"
grep -q 'lab CA is closed' "$LAB_TMP/problem.err" ||
    lab_die "the problem detail is not shown"

# a CA bundle that does not exist is a configuration error, not an
# unreachable server
check '66|78' nocabundle "$CERTD" --config "$LAB_CONF" \
    --state-dir "$LAB_STATE" --ca-bundle "$LAB_TMP/no-such-ca.pem" \
    --agree-tos --server "$LAB_DIR_URL" issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d net.example.test
echo "30-bad-input: ok"
