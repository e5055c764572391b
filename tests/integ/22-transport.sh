#!/bin/sh
# 22-transport - the ACME transport (acme/http.c): the system trust store
# read from a hashed directory (SSL_CERT_DIR, as /etc/ssl/certs) without
# --ca-bundle; an HTTP CONNECT proxy from https_proxy (with and without
# Basic credentials, one tunnel kept alive for the whole issuance);
# no_proxy; clean failures (one line, state unchanged) when the proxy
# refuses, is down, or has a scheme certd does not speak.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
unset http_proxy https_proxy HTTPS_PROXY no_proxy NO_PROXY || true
lab_root 0 >"$LAB_TMP/root.pem"
# shellcheck disable=SC2046
set -- $(lab_ports 3)
open_port=$1
auth_port=$2
dead_port=$3
pebble_port=$(echo "$LAB_DIR_URL" | sed 's|^https://[^:]*:\([0-9]*\)/.*|\1|')

lab_spawn proxy "$LAB_PY" "$LAB_SRC/tests/lab/connect-proxy.py" \
    "$open_port" "$LAB_TMP/proxy-open.txt"
# shellcheck disable=SC2154 # set by lab_spawn
lab_wait_url proxy "$LAB_PID_proxy" "http://127.0.0.1:$open_port/"
lab_spawn authproxy "$LAB_PY" "$LAB_SRC/tests/lab/connect-proxy.py" \
    "$auth_port" "$LAB_TMP/proxy-auth.txt" 'mail:p@ss:w'
# shellcheck disable=SC2154
lab_wait_url authproxy "$LAB_PID_authproxy" "http://127.0.0.1:$auth_port/"

issue() {
	_l=$1
	shift
	lab_expect 0 "issue-$_l" env "$@" "$CERTD" --config "$LAB_CONF" \
	    --state-dir "$LAB_STATE" --server "$LAB_DIR_URL" \
	    --ca-bundle "$LAB_CA" --agree-tos issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" \
	    -d "$_l.example.test"
	lab_check_cert "$LAB_STATE/certs/$_l.example.test/current" \
	    "$LAB_TMP/root.pem"
}

# no --ca-bundle: the trust store is a hashed directory holding only the
# lab CA (what Debian's /etc/ssl/certs is for the real CAs)
mkdir -p "$LAB_TMP/certdir"
cp "$LAB_CA" "$LAB_TMP/certdir/lab.pem"
openssl rehash "$LAB_TMP/certdir"
for l in "$LAB_TMP"/certdir/*.0; do
	[ -L "$l" ] || lab_die "openssl rehash made no hash link"
done
lab_expect 0 issue-sysdir env SSL_CERT_DIR="$LAB_TMP/certdir" \
    "$CERTD" --config "$LAB_CONF" --state-dir "$LAB_STATE" \
    --server "$LAB_DIR_URL" --agree-tos issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d sysdir.example.test
lab_check_cert "$LAB_STATE/certs/sysdir.example.test/current" "$LAB_TMP/root.pem"
# and an empty one: the server is not trusted
mkdir -p "$LAB_TMP/emptydir"
lab_snapshot "$LAB_STATE" "$LAB_TMP/untrusted.before"
lab_expect 69 untrusted env SSL_CERT_DIR="$LAB_TMP/emptydir" \
    "$CERTD" --config "$LAB_CONF" --state-dir "$LAB_STATE" \
    --server "$LAB_DIR_URL" --agree-tos issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d untrusted.example.test
lab_one_error_line untrusted
grep -q 'certificate verification failed' "$LAB_TMP/untrusted.err" ||
    lab_die "untrusted: $(cat "$LAB_TMP/untrusted.err")"
lab_snapshot "$LAB_STATE" "$LAB_TMP/untrusted.after"
lab_same_snapshot "$LAB_TMP/untrusted.before" "$LAB_TMP/untrusted.after" untrusted

# through the open proxy: every request goes through CONNECT
issue open "https_proxy=http://127.0.0.1:$open_port"
grep -q "^CONNECT 127.0.0.1:$pebble_port auth=no$" "$LAB_TMP/proxy-open.txt" ||
    lab_die "the proxy saw no CONNECT to pebble: $(cat "$LAB_TMP/proxy-open.txt")"
# kept alive: far fewer tunnels than requests (an issuance makes ~12)
n=$(grep -c '^CONNECT' "$LAB_TMP/proxy-open.txt")
[ "$n" -le 3 ] || lab_die "$n CONNECTs for one issuance: connection not reused"

# upper-case name, no scheme, credentials percent-encoded
issue auth "HTTPS_PROXY=mail:p%40ss%3Aw@127.0.0.1:$auth_port"
grep -q "^CONNECT 127.0.0.1:$pebble_port auth=yes$" "$LAB_TMP/proxy-auth.txt" ||
    lab_die "no authenticated CONNECT: $(cat "$LAB_TMP/proxy-auth.txt")"

# no_proxy exempts the server: the dead proxy is never tried
issue noproxy "https_proxy=http://127.0.0.1:$dead_port" "no_proxy=example.org,127.0.0.1"

# failures: one line, distinct exit, state dir unchanged
check() {
	_crc=$1
	_cn=$2
	_cpat=$3
	shift 3
	lab_snapshot "$LAB_STATE" "$LAB_TMP/$_cn.before"
	lab_expect "$_crc" "$_cn" env "$@" "$CERTD" --config "$LAB_CONF" \
	    --state-dir "$LAB_STATE" --server "$LAB_DIR_URL" \
	    --ca-bundle "$LAB_CA" --agree-tos issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" \
	    -d "$_cn.example.test"
	printf '%-10s exit %s: %s\n' "$_cn" "$LAB_EXIT" "$(head -n 1 "$LAB_TMP/$_cn.err")"
	lab_one_error_line "$_cn"
	grep -q "$_cpat" "$LAB_TMP/$_cn.err" ||
	    lab_die "$_cn: error does not mention '$_cpat'"
	lab_snapshot "$LAB_STATE" "$LAB_TMP/$_cn.after"
	lab_same_snapshot "$LAB_TMP/$_cn.before" "$LAB_TMP/$_cn.after" "$_cn"
}
check 69 badauth 'HTTP 407' "https_proxy=http://mail:wrong@127.0.0.1:$auth_port"
grep -q '^REFUSED' "$LAB_TMP/proxy-auth.txt" ||
    lab_die "the proxy did not see the refused request"
check 69 proxydown "proxy 127.0.0.1 port $dead_port" "https_proxy=http://127.0.0.1:$dead_port"
check 78 socks 'only http:// proxies' "https_proxy=socks5://127.0.0.1:$open_port"
echo "22-transport: ok"
