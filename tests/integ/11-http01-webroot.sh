#!/bin/sh
# 11-http01-webroot - http-01 through --webroot: a separate static web server
# owns the port, certd only writes the token files; pebble must have fetched
# them from that server.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
lab_root 0 >"$LAB_TMP/root.pem"
www="$LAB_TMP/www"
mkdir -p "$www"
echo "lab web root" >"$www/index.html"
lab_webroot_server "$www"

lab_expect 0 issue lab_certd issue --challenge http-01 --webroot "$www" \
    -d www.example.test -d static.example.test
cat "$LAB_TMP/issue.out"
grep -q '^certd: www.example.test: issued, serial ' "$LAB_TMP/issue.out" ||
    lab_die "no 'issued' line"
cur="$LAB_STATE/certs/www.example.test/current"
lab_check_cert "$cur" "$LAB_TMP/root.pem"
lab_has_san "$cur/cert.pem" DNS:www.example.test
lab_has_san "$cur/cert.pem" DNS:static.example.test
# two authorizations, each fetched from the web server (PEBBLE_AUTHZREUSE=0)
n=$(grep -c 'GET /.well-known/acme-challenge/[A-Za-z0-9_-]* HTTP/1.1" 200' \
    "$LAB_TMP/webroot.log" || true)
[ "$n" -ge 2 ] || lab_die "the web server served $n challenge tokens, want >= 2"
# the web server was not disturbed
[ "$(curl -sSf "http://127.0.0.1:$LAB_HTTP_PORT/index.html")" = "lab web root" ] ||
    lab_die "web root server no longer answers"
# tokens are removed afterwards
left=$(find "$www/.well-known/acme-challenge" -type f 2>/dev/null | wc -l)
[ "$left" -eq 0 ] || lab_die "$left challenge files left in the web root"
echo "11-http01-webroot: ok"
