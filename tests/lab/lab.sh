# lab.sh - the test lab, sourced by tests/integ/*.sh and tests/lab/demo.sh.
# Starts Debian's pebble and pebble-challtestsrv on 127.0.0.1 with free
# ports and a CA made at test time, plus small helpers (roots, cert status,
# a dns-01 hook, state-dir snapshots, bad HTTPS servers, a webroot server).
# Everything binds to loopback only; TLS verification is never turned off.
#
# Usage (POSIX sh, set -eu):
#	LAB_SRC=/path/to/repo; . "$LAB_SRC/tests/lab/lab.sh"
#	lab_init; lab_trap; lab_start [eab] [nonce=N|default] [altroots=N]
#	    [reuse=N] [chain=N]
#	lab_certd issue -d a.example.test ...
# lab_cleanup (run by the trap) stops every process by PID and removes the
# temp dir (kept when LAB_KEEP=1 or the test failed and LAB_KEEP_FAILED=1).

: "${LAB_SRC:?LAB_SRC must point at the repository root}"
LAB_PIDS=""
LAB_TMP=""
LAB_FAILMSG=""
LAB_PY=${LAB_PY:-python3}
# everything is on loopback: no proxy may get in between (curl, certd)
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
NO_PROXY=127.0.0.1,localhost
no_proxy=$NO_PROXY
export NO_PROXY no_proxy

lab_log() {
	printf 'lab: %s\n' "$*" >&2
}

lab_die() {
	LAB_FAILMSG="$*"
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# lab_init: make the per-test temp dir ($LAB_TMP) and an empty certd config.
lab_init() {
	LAB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/certd-lab.XXXXXX")
	LAB_STATE="$LAB_TMP/state"
	LAB_CONF="$LAB_TMP/certd.conf"
	: >"$LAB_CONF"
	chmod 600 "$LAB_CONF"
	export LAB_TMP LAB_STATE LAB_CONF
}

# lab_trap: stop the lab on any exit, including INT/TERM (from timeout).
lab_trap() {
	trap lab_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# lab_ports N: print N distinct free TCP+UDP ports on 127.0.0.1.
lab_ports() {
	"$LAB_PY" "$LAB_SRC/tests/data/lab-ports.py" "${1:-1}"
}

# lab_mkcert DIR: a test CA and a server certificate (SAN DNS:localhost,
# IP:127.0.0.1) made with the openssl CLI: DIR/ca.pem (the bundle certd
# trusts), DIR/ca.key, DIR/cert.pem, DIR/key.pem.
lab_mkcert() {
	_d=$1
	mkdir -p "$_d"
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$_d/ca.key" -out "$_d/ca.pem" -days 2 \
	    -subj "/CN=certd lab CA $$" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$_d/key.pem" -out "$_d/server.csr" -subj "/CN=localhost" \
	    2>/dev/null
	cat >"$_d/server.ext" <<-EOF
	basicConstraints=critical,CA:FALSE
	keyUsage=critical,digitalSignature
	extendedKeyUsage=serverAuth
	subjectAltName=DNS:localhost,IP:127.0.0.1
	EOF
	openssl x509 -req -in "$_d/server.csr" -CA "$_d/ca.pem" \
	    -CAkey "$_d/ca.key" -CAcreateserial -days 2 \
	    -extfile "$_d/server.ext" -out "$_d/cert.pem" 2>/dev/null
	chmod 600 "$_d/ca.key" "$_d/key.pem"
}

# lab_spawn NAME CMD...: start CMD in the background, log to
# $LAB_TMP/NAME.log, remember its PID (in LAB_PIDS and LAB_PID_NAME).
lab_spawn() {
	_n=$1
	shift
	"$@" >"$LAB_TMP/$_n.log" 2>&1 &
	_p=$!
	LAB_PIDS="$LAB_PIDS $_p"
	eval "LAB_PID_$(printf '%s' "$_n" | tr -c 'a-zA-Z0-9\n' _)=$_p"
}

# lab_wait_url NAME PID URL [CURL OPTIONS]: wait (bounded, ~10 s) until
# URL answers at all; fail early when the process died.
lab_wait_url() {
	_n=$1
	_p=$2
	_u=$3
	shift 3
	_i=0
	while [ "$_i" -lt 100 ]; do
		if ! kill -0 "$_p" 2>/dev/null; then
			tail -n 20 "$LAB_TMP/$_n.log" >&2 || true
			lab_die "$_n (pid $_p) exited during start-up"
		fi
		if curl -s -o /dev/null --max-time 2 "$@" "$_u"; then
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	tail -n 20 "$LAB_TMP/$_n.log" >&2 || true
	lab_die "$_n did not answer at $_u"
}

# lab_start [eab] [nonce=N|nonce=default] [altroots=N] [reuse=N]
#	[chain=N]: start challtestsrv and pebble on 127.0.0.1.
# nonce: PEBBLE_WFE_NONCEREJECT (default 0; "default" leaves pebble's 5%).
# reuse: PEBBLE_AUTHZREUSE (default 0, so every order solves challenges).
lab_start() {
	_eab=0
	_nonce=0
	_alt=""
	_reuse=0
	_chain=""
	for _a in "$@"; do
		case $_a in
		eab) _eab=1 ;;
		nonce=*) _nonce=${_a#nonce=} ;;
		altroots=*) _alt=${_a#altroots=} ;;
		reuse=*) _reuse=${_a#reuse=} ;;
		chain=*) _chain=${_a#chain=} ;;
		*) lab_die "lab_start: unknown option $_a" ;;
		esac
	done
	[ -n "$LAB_TMP" ] || lab_init
	lab_mkcert "$LAB_TMP/tls"
	LAB_CA="$LAB_TMP/tls/ca.pem"

	# shellcheck disable=SC2046
	set -- $(lab_ports 6)
	LAB_ACME_PORT=$1
	LAB_MGMT_PORT=$2
	LAB_DNS_PORT=$3
	LAB_CHALL_PORT=$4
	LAB_HTTP_PORT=$5
	LAB_TLS_PORT=$6

	_eabjson=""
	LAB_EAB_KID=""
	LAB_EAB_KEY=""
	if [ "$_eab" = 1 ]; then
		LAB_EAB_KID="kid-lab-1"
		LAB_EAB_KEY=$(openssl rand 48 | base64 | tr '+/' '-_' |
		    tr -d '=\n')
		_eabjson=$(printf ',\n    "externalAccountMACKeys": {"%s": "%s"}' \
		    "$LAB_EAB_KID" "$LAB_EAB_KEY")
		_eabreq=true
	else
		_eabreq=false
	fi
	cat >"$LAB_TMP/pebble.json" <<-EOF
	{
	  "pebble": {
	    "listenAddress": "127.0.0.1:$LAB_ACME_PORT",
	    "managementListenAddress": "127.0.0.1:$LAB_MGMT_PORT",
	    "certificate": "$LAB_TMP/tls/cert.pem",
	    "privateKey": "$LAB_TMP/tls/key.pem",
	    "httpPort": $LAB_HTTP_PORT,
	    "tlsPort": $LAB_TLS_PORT,
	    "ocspResponderURL": "",
	    "externalAccountBindingRequired": $_eabreq$_eabjson
	  }
	}
	EOF

	lab_spawn challtestsrv pebble-challtestsrv \
	    -dns01 "127.0.0.1:$LAB_DNS_PORT" -http01 "" -https01 "" \
	    -tlsalpn01 "" -management "127.0.0.1:$LAB_CHALL_PORT" \
	    -defaultIPv4 127.0.0.1 -defaultIPv6 ""
	LAB_CHALL_MGMT="http://127.0.0.1:$LAB_CHALL_PORT"
	# shellcheck disable=SC2154
	lab_wait_url challtestsrv "$LAB_PID_challtestsrv" "$LAB_CHALL_MGMT/"

	# PEBBLE_VA_ALWAYS_VALID must never be set: challenges are real.
	[ "$_nonce" = default ] && _nonce=""
	lab_spawn pebble env -u PEBBLE_VA_ALWAYS_VALID \
	    -u PEBBLE_ALTERNATE_ROOTS -u PEBBLE_CHAIN_LENGTH \
	    -u PEBBLE_WFE_NONCEREJECT \
	    PEBBLE_VA_NOSLEEP=1 PEBBLE_AUTHZREUSE="$_reuse" \
	    ${_alt:+PEBBLE_ALTERNATE_ROOTS="$_alt"} \
	    ${_chain:+PEBBLE_CHAIN_LENGTH="$_chain"} \
	    ${_nonce:+PEBBLE_WFE_NONCEREJECT="$_nonce"} \
	    pebble -config "$LAB_TMP/pebble.json" \
	    -dnsserver "127.0.0.1:$LAB_DNS_PORT"
	LAB_DIR_URL="https://127.0.0.1:$LAB_ACME_PORT/dir"
	LAB_MGMT="https://127.0.0.1:$LAB_MGMT_PORT"
	# shellcheck disable=SC2154
	lab_wait_url pebble "$LAB_PID_pebble" "$LAB_DIR_URL" \
	    --cacert "$LAB_CA" -f
	lab_wait_url pebble "$LAB_PID_pebble" "$LAB_MGMT/roots/0" \
	    --cacert "$LAB_CA" -f
	lab_check_loopback "$LAB_PID_challtestsrv" "$LAB_PID_pebble"
	export LAB_DIR_URL LAB_CA LAB_MGMT LAB_HTTP_PORT LAB_TLS_PORT \
	    LAB_CHALL_MGMT LAB_EAB_KID LAB_EAB_KEY LAB_DNS_PORT
	lab_log "pebble $LAB_DIR_URL (mgmt $LAB_MGMT_PORT, dns $LAB_DNS_PORT," \
	    "http $LAB_HTTP_PORT, tls $LAB_TLS_PORT," \
	    "nonce-reject ${_nonce:-default})"
}

# lab_check_loopback PID...: every TCP/UDP socket these processes listen on
# is bound to 127.0.0.1 (and they listen on something at all).
lab_check_loopback() {
	ss -Hltunp >"$LAB_TMP/ss.txt"
	for _p in "$@"; do
		grep -q "pid=$_p," "$LAB_TMP/ss.txt" ||
		    lab_die "pid $_p listens on nothing (ss -ltunp)"
		_bad=$(grep "pid=$_p," "$LAB_TMP/ss.txt" |
		    awk '$5 !~ /^127\.0\.0\.1:[0-9]+$/ { print $1, $5 }')
		[ -z "$_bad" ] || lab_die "pid $_p listens beyond loopback: $_bad"
	done
}

# lab_kill PID...: SIGTERM, wait up to ~5 s, then SIGKILL; reap.
lab_kill() {
	for _p in "$@"; do
		kill "$_p" 2>/dev/null || true
	done
	for _p in "$@"; do
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ "$_i" -lt 50 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		if kill -0 "$_p" 2>/dev/null; then
			lab_log "pid $_p ignored SIGTERM, sending SIGKILL"
			kill -9 "$_p" 2>/dev/null || true
		fi
		wait "$_p" 2>/dev/null || true
	done
}

# lab_stop: stop every process the lab started.
lab_stop() {
	if [ -n "$LAB_PIDS" ]; then
		# shellcheck disable=SC2086
		lab_kill $LAB_PIDS
	fi
	LAB_PIDS=""
}

# lab_cleanup: the EXIT trap; runs $LAB_ON_EXIT (a test's own cleanup),
# stops the lab, on failure shows the tail of the peers' logs.
lab_cleanup() {
	_rc=$?
	trap - EXIT
	if [ -n "${LAB_ON_EXIT:-}" ]; then
		eval "$LAB_ON_EXIT" || true
	fi
	lab_stop
	if [ -n "$LAB_TMP" ] && [ -d "$LAB_TMP" ]; then
		if [ "$_rc" -ne 0 ]; then
			for _f in "$LAB_TMP"/*.log; do
				[ -f "$_f" ] || continue
				printf -- '--- %s (tail)\n' "${_f##*/}" >&2
				tail -n 12 "$_f" >&2
			done
			[ -z "$LAB_FAILMSG" ] ||
			    printf 'FAIL: %s\n' "$LAB_FAILMSG" >&2
		fi
		if [ "${LAB_KEEP:-0}" = 1 ] || { [ "$_rc" -ne 0 ] &&
		    [ "${LAB_KEEP_FAILED:-0}" = 1 ]; }; then
			lab_log "kept $LAB_TMP"
		else
			rm -rf "$LAB_TMP"
		fi
	fi
	exit "$_rc"
}

# lab_certd ARGS...: run certd against the lab (state dir, server, CA).
# A shell function: "lab_certd ... &" gives the PID of a subshell, not of
# certd; to run certd in the background, call "$CERTD" directly.
lab_certd() {
	"$CERTD" --config "$LAB_CONF" --state-dir "$LAB_STATE" \
	    --server "$LAB_DIR_URL" --ca-bundle "$LAB_CA" --agree-tos "$@"
}

# lab_mgmt_get PATH: GET from pebble's management API (verified TLS).
lab_mgmt_get() {
	curl -sSf --max-time 10 --cacert "$LAB_CA" "$LAB_MGMT$1"
}

# lab_root N / lab_intermediate N: pebble's root / intermediate N as PEM.
lab_root() {
	lab_mgmt_get "/roots/${1:-0}"
}

lab_intermediate() {
	lab_mgmt_get "/intermediates/${1:-0}"
}

# lab_cert_status SERIAL: pebble's JSON status for a (hex) serial.
lab_cert_status() {
	lab_mgmt_get "/cert-status-by-serial/$(printf '%s' "$1" |
	    tr 'A-F' 'a-f' | tr -d ':')"
}

# lab_serial CERTFILE: the serial in lower-case hex, no leading zeros.
lab_serial() {
	openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' |
	    tr 'A-F' 'a-f' | sed 's/^0*//'
}

# lab_dns_hook PATH [LOGFILE]: write an executable dns-01 hook with the
# challtestsrv management URL baked in (certd runs hooks with a minimal
# environment). "add NAME VALUE" -> /set-txt, "del NAME VALUE" -> /clear-txt
# and the other values still wanted for NAME are set again (a wildcard and
# its base name share one TXT name). Each call is logged to LOGFILE.
lab_dns_hook() {
	_h=$1
	_l=${2:-/dev/null}
	mkdir -p "$_h.d"
	cat >"$_h" <<-EOF
	#!/bin/sh
	# generated by tests/lab/lab.sh: dns-01 hook for pebble-challtestsrv
	set -eu
	MGMT='$LAB_CHALL_MGMT'
	LOG='$_l'
	DB='$_h.d'
	[ \$# -eq 3 ] || { echo "usage: \$0 add|del NAME VALUE" >&2; exit 2; }
	case \$2 in
	*[!A-Za-z0-9._-]*|'') echo "bad name \$2" >&2; exit 2 ;;
	esac
	case \$3 in
	*[!A-Za-z0-9_-]*|'') echo "bad value \$3" >&2; exit 2 ;;
	esac
	echo "\$1 \$2 \$3 action=\${CERTD_ACTION:-} txt=\${CERTD_TXT_NAME:-}" >>"\$LOG"
	set_txt() {
		curl -sSf --max-time 10 -X POST \\
		    -d "{\"host\":\"\$1.\",\"value\":\"\$2\"}" \\
		    "\$MGMT/set-txt" >/dev/null
	}
	case \$1 in
	add)
		echo "\$3" >>"\$DB/\$2"
		set_txt "\$2" "\$3" ;;
	del)
		touch "\$DB/\$2"
		grep -vxF "\$3" "\$DB/\$2" >"\$DB/\$2.new" || true
		mv "\$DB/\$2.new" "\$DB/\$2"
		curl -sSf --max-time 10 -X POST -d "{\"host\":\"\$2.\"}" \\
		    "\$MGMT/clear-txt" >/dev/null
		while IFS= read -r v; do
			set_txt "\$2" "\$v"
		done <"\$DB/\$2" ;;
	*)
		echo "unknown action \$1" >&2; exit 2 ;;
	esac
	EOF
	chmod 755 "$_h"
}

# lab_snapshot DIR OUT: a text description of DIR (paths, types, modes,
# owners, sizes, sha256 of contents, link targets) for "unchanged" checks.
lab_snapshot() {
	if [ ! -e "$1" ]; then
		echo "absent" >"$2"
		return 0
	fi
	(cd "$1" && find . -print | LC_ALL=C sort | while IFS= read -r _f; do
		if [ -L "$_f" ]; then
			printf 'L %s -> %s\n' "$_f" "$(readlink "$_f")"
		elif [ -f "$_f" ]; then
			printf 'F %s %s %s\n' "$_f" \
			    "$(stat -c '%a %u:%g %s' "$_f")" \
			    "$(sha256sum <"$_f" | cut -d' ' -f1)"
		elif [ -d "$_f" ]; then
			printf 'D %s %s\n' "$_f" "$(stat -c '%a %u:%g' "$_f")"
		else
			printf 'O %s %s\n' "$_f" "$(stat -c '%F %a' "$_f")"
		fi
	done) >"$2"
}

# lab_same_snapshot BEFORE AFTER WHAT: fail with a diff if they differ.
lab_same_snapshot() {
	if ! cmp -s "$1" "$2"; then
		diff -u "$1" "$2" >&2 || true
		lab_die "$3: state directory changed"
	fi
}

# lab_bad_https STATUS CONTENT-TYPE BODYFILE: start a loopback HTTPS server
# (lab certificate) answering every request the same; sets LAB_BAD_URL.
lab_bad_https() {
	_port=$(lab_ports 1)
	lab_spawn "bad-https-$_port" "$LAB_PY" \
	    "$LAB_SRC/tests/data/lab-https.py" "$LAB_TMP/tls/cert.pem" \
	    "$LAB_TMP/tls/key.pem" "$_port" "$1" "$2" "$3"
	LAB_BAD_URL="https://127.0.0.1:$_port/dir"
	lab_wait_url "bad-https-$_port" "${LAB_PIDS##* }" "$LAB_BAD_URL" \
	    --cacert "$LAB_CA"
}

# lab_webroot_server DIR: serve DIR over plain HTTP on 127.0.0.1 at
# LAB_HTTP_PORT (where pebble's VA looks for http-01); logs to webroot.log.
lab_webroot_server() {
	lab_spawn webroot "$LAB_PY" -m http.server --bind 127.0.0.1 \
	    --directory "$1" "$LAB_HTTP_PORT"
	LAB_PID_WEBROOT=${LAB_PIDS##* }
	lab_wait_url webroot "$LAB_PID_WEBROOT" \
	    "http://127.0.0.1:$LAB_HTTP_PORT/"
}

# lab_expect RC NAME CMD...: run CMD, stdout/stderr to $LAB_TMP/NAME.out
# and .err; fail unless the exit status is RC (a list "1|78" is allowed).
lab_expect() {
	_want=$1
	_name=$2
	shift 2
	_rc=0
	"$@" >"$LAB_TMP/$_name.out" 2>"$LAB_TMP/$_name.err" || _rc=$?
	# shellcheck disable=SC2034 # read by the tests
	LAB_EXIT=$_rc
	case "|$_want|" in
	*"|$_rc|"*) return 0 ;;
	esac
	printf -- '--- stdout\n' >&2
	head -c 4000 "$LAB_TMP/$_name.out" >&2 || true
	printf -- '--- stderr\n' >&2
	head -c 4000 "$LAB_TMP/$_name.err" >&2 || true
	lab_die "$_name: exit status $_rc, expected $_want"
}

# lab_one_error_line NAME: NAME.err is exactly one line "certd: ...".
lab_one_error_line() {
	_e="$LAB_TMP/$1.err"
	_n=$(wc -l <"$_e")
	if [ "$_n" -ne 1 ] || ! head -n 1 "$_e" | grep -q '^certd: '; then
		printf -- '--- stderr (%s lines)\n' "$_n" >&2
		head -c 4000 "$_e" >&2
		lab_die "$1: expected exactly one stderr line starting with 'certd: '"
	fi
}

# lab_check_cert DIR ROOTPEM: the usual checks on STATE/certs/N/current:
# files exist, privkey.pem mode 0600, key matches cert, fullchain is
# cert + chain, and the chain verifies against ROOTPEM.
lab_check_cert() {
	_c=$1
	for _f in cert.pem chain.pem fullchain.pem privkey.pem; do
		[ -s "$_c/$_f" ] || lab_die "$_c/$_f missing or empty"
	done
	_m=$(stat -c '%a' "$_c/privkey.pem")
	[ "$_m" = 600 ] || lab_die "$_c/privkey.pem has mode $_m, want 600"
	_k1=$(openssl pkey -in "$_c/privkey.pem" -pubout | sha256sum)
	_k2=$(openssl x509 -in "$_c/cert.pem" -noout -pubkey | sha256sum)
	[ "$_k1" = "$_k2" ] || lab_die "$_c: privkey.pem does not match cert.pem"
	cat "$_c/cert.pem" "$_c/chain.pem" >"$LAB_TMP/fullchain.want"
	# compare the certificates, not the whitespace between PEM blocks
	_fa=$(grep -v '^[[:space:]]*$' "$_c/fullchain.pem" | sha256sum)
	_fb=$(grep -v '^[[:space:]]*$' "$LAB_TMP/fullchain.want" | sha256sum)
	[ "$_fa" = "$_fb" ] || lab_die "$_c: fullchain.pem is not cert + chain"
	openssl verify -CAfile "$2" -untrusted "$_c/chain.pem" \
	    "$_c/cert.pem" >&2 || lab_die "$_c: chain does not verify"
}

# lab_has_san CERT ENTRY: the certificate's SAN list contains ENTRY
# ("DNS:x" or "IP Address:1.2.3.4").
lab_has_san() {
	openssl x509 -in "$1" -noout -ext subjectAltName |
	    tr ',' '\n' | sed 's/^[[:space:]]*//' | grep -qxF "$2" ||
	    lab_die "$1: SAN $2 missing"
}
