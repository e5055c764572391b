# shellcheck shell=sh disable=SC2034 # REVLAB_* variables are for the tests
# revlab.sh - the revocation lab, sourced by tests/integ/4x-*.sh after
# tests/lab/lab.sh (whose lab_init/lab_trap/lab_spawn/lab_kill/lab_expect/
# lab_die conventions it reuses). It makes the test PKI (tests/lab/pki.sh)
# and starts loopback peers: a real OCSP responder (openssl ocsp), an HTTP
# server for CRLs and caIssuers (revlab-http.py), misbehaving responders
# (revlab-bad.py) and SMTP probe targets (revlab-smtp.py).
#
# `openssl ocsp -port` listens on every interface, so every test runs in a
# private network namespace: revlab_netns re-executes the test under
# `unshare -n`, where only the namespace's own loopback exists.
#
# Usage (POSIX sh, set -eu):
#	LAB_SRC=...; . "$LAB_SRC/tests/lab/lab.sh"; . "$LAB_SRC/tests/lab/revlab.sh"
#	revlab_netns "$0" "$@"	# first: re-exec in a private netns
#	revlab_init		# temp dir, trap, ports, PKI in $REVLAB_PKI
#	revlab_http_start; revlab_ocsp_start resp
#	revlab_check 1 kc --cert "$REVLAB_PKI/kc.pem" --json

REVLAB_PY=${LAB_PY:-python3}

# revlab_netns SCRIPT ARGS...: unless already inside, re-execute SCRIPT in
# a new network namespace (root; otherwise inside a user namespace, where
# the kernel allows it); inside, bring lo up and make sure no other
# interface exists.
revlab_netns() {
	if [ "${REVLAB_NETNS:-0}" != 1 ]; then
		command -v unshare >/dev/null 2>&1 ||
		    lab_die "unshare(1) is missing"
		_u=-n
		[ "$(id -u)" = 0 ] || _u=-rn
		exec env REVLAB_NETNS=1 unshare "$_u" sh "$@"
	fi
	ip link set lo up || lab_die "ip link set lo up failed"
	_other=$(ip -o link show | awk -F': ' '$2 != "lo" { print $2 }')
	[ -z "$_other" ] ||
	    lab_die "not in a private network namespace (links: $_other)"
}

# revlab_init: lab_init + lab_trap, pick the OCSP and HTTP ports, make
# the PKI in $REVLAB_PKI; the cache goes to $REVLAB_STATE.
revlab_init() {
	[ "${REVLAB_NETNS:-0}" = 1 ] ||
	    lab_die "revlab_init outside the private network namespace"
	[ "${REVLAB_NO_CERTD:-0}" = 1 ] || [ -x "${CERTD:-}" ] ||
	    lab_die "${CERTD:-CERTD}: not executable (set CERTD)"
	lab_init
	lab_trap
	# shellcheck disable=SC2046
	set -- $(lab_ports 2)
	REVLAB_OCSP_PORT=$1
	REVLAB_HTTP_PORT=$2
	REVLAB_PKI="$LAB_TMP/pki"
	REVLAB_STATE="$LAB_TMP/state"
	REVLAB_OCSP_URL="http://127.0.0.1:$REVLAB_OCSP_PORT/"
	REVLAB_CRL_URL="http://127.0.0.1:$REVLAB_HTTP_PORT/int.crl"
	sh "$LAB_SRC/tests/lab/pki.sh" "$REVLAB_PKI" "$REVLAB_OCSP_PORT" \
	    "$REVLAB_HTTP_PORT" || lab_die "pki.sh failed"
	export REVLAB_PKI REVLAB_STATE REVLAB_OCSP_PORT REVLAB_HTTP_PORT
}

# revlab_wait_port NAME PID PORT: wait (bounded, ~10 s) until something
# listens on PORT (ss, no connection: `openssl ocsp` stalls on a client
# that connects and closes without a request); fail early when PID died.
revlab_wait_port() {
	_i=0
	while [ "$_i" -lt 100 ]; do
		if ! kill -0 "$2" 2>/dev/null; then
			tail -n 20 "$LAB_TMP/$1.log" >&2 || true
			lab_die "$1 (pid $2) exited during start-up"
		fi
		if [ -n "$(ss -Hltn "sport = :$3")" ]; then
			return 0
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
	lab_die "$1 did not listen on port $3"
}

# revlab_spawn NAME PORT CMD...: lab_spawn + wait for the port; the PID is
# left in REVLAB_LAST_PID.
revlab_spawn() {
	_sn=$1
	_sp=$2
	shift 2
	lab_spawn "$_sn" "$@"
	REVLAB_LAST_PID=${LAB_PIDS##* }
	revlab_wait_port "$_sn" "$REVLAB_LAST_PID" "$_sp"
}

# revlab_stop PID...: stop these lab processes (and forget them).
revlab_stop() {
	lab_kill "$@"
	for _p in "$@"; do
		# shellcheck disable=SC2086 # a list of PIDs
		LAB_PIDS=$(printf '%s\n' $LAB_PIDS | grep -vx "$_p" |
		    tr '\n' ' ' || true)
	done
}

# revlab_http_start: serve $REVLAB_PKI/www on the HTTP port (CRL, caIssuers);
# requests are logged to $LAB_TMP/http.log ("req GET /int.crl 200 ...").
revlab_http_start() {
	revlab_spawn http "$REVLAB_HTTP_PORT" "$REVLAB_PY" \
	    "$LAB_SRC/tests/lab/revlab-http.py" "$REVLAB_PKI/www" \
	    "$REVLAB_HTTP_PORT"
	REVLAB_PID_HTTP=$REVLAB_LAST_PID
}

# revlab_ocsp_start [resp|rogue|issuer]: the real OCSP responder (openssl
# ocsp, index = the intermediate's CA database) on the OCSP port, signing
# with the delegated responder (default), the rogue certificate (no
# OCSPSigning EKU) or the intermediate itself. Log: $LAB_TMP/ocsp-X.log.
revlab_ocsp_start() {
	_who=${1:-resp}
	case $_who in
	resp | rogue)
		_rs="$REVLAB_PKI/$_who.pem"
		_rk="$REVLAB_PKI/$_who.key" ;;
	issuer)
		_rs="$REVLAB_PKI/int.pem"
		_rk="$REVLAB_PKI/int.key" ;;
	*) lab_die "revlab_ocsp_start: unknown signer $_who" ;;
	esac
	revlab_spawn "ocsp-$_who" "$REVLAB_OCSP_PORT" openssl ocsp \
	    -index "$REVLAB_PKI/int/index.txt" -CA "$REVLAB_PKI/int.pem" \
	    -rsigner "$_rs" -rkey "$_rk" -port "$REVLAB_OCSP_PORT" \
	    -nmin 60 -ignore_err
	REVLAB_PID_OCSP=$REVLAB_LAST_PID
}

# revlab_bad_start MODE [FILE] [PORT]: a misbehaving peer (revlab-bad.py:
# garbage, nothttp, http500, hang, replay FILE, tripwire) on PORT (default
# the OCSP port). Log: $LAB_TMP/bad-MODE-PORT.log; PID in REVLAB_PID_BAD.
revlab_bad_start() {
	_m=$1
	_f=${2:-}
	_bp=${3:-$REVLAB_OCSP_PORT}
	revlab_spawn "bad-$_m-$_bp" "$_bp" "$REVLAB_PY" \
	    "$LAB_SRC/tests/lab/revlab-bad.py" "$_m" "$_bp" ${_f:+"$_f"}
	REVLAB_PID_BAD=$REVLAB_LAST_PID
}

# revlab_tripwire_start: after every server is stopped, listen on the OCSP
# and HTTP ports and log any connection (revlab_tripwire_quiet checks).
revlab_tripwire_start() {
	revlab_bad_start tripwire "" "$REVLAB_OCSP_PORT"
	revlab_bad_start tripwire "" "$REVLAB_HTTP_PORT"
	revlab_tripwire_mark
}

# revlab_tripwire_mark: from now on, revlab_tripwire_quiet looks only at
# new connections (the logs are not truncated: their writer keeps its
# file offset)
revlab_tripwire_mark() {
	REVLAB_TRIP_MARK=$(cat "$LAB_TMP/bad-tripwire-$REVLAB_OCSP_PORT.log" \
	    "$LAB_TMP/bad-tripwire-$REVLAB_HTTP_PORT.log" | wc -l)
}

# revlab_tripwire_quiet WHAT: fail when anything touched the tripwires
# since revlab_tripwire_start / revlab_tripwire_mark.
revlab_tripwire_quiet() {
	_tn=$(cat "$LAB_TMP/bad-tripwire-$REVLAB_OCSP_PORT.log" \
	    "$LAB_TMP/bad-tripwire-$REVLAB_HTTP_PORT.log" | wc -l)
	if [ "$_tn" -ne "$REVLAB_TRIP_MARK" ]; then
		tail -n 5 "$LAB_TMP"/bad-tripwire-*.log >&2
		lab_die "$1: network traffic to a stopped server's port" \
		    "($((_tn - REVLAB_TRIP_MARK)) connections)"
	fi
}

# revlab_smtp_start MODE LEAF [CHAINFILE [STAPLE]]: an SMTP probe target
# (revlab-smtp.py MODE: starttls, tls, staple, nostarttls, garbage, hang,
# busy) presenting CHAINFILE (default LEAF-chain.pem: leaf + int) with
# LEAF.key, stapling the DER OCSP response STAPLE (mode staple); port in
# REVLAB_SMTP_PORT, PID in REVLAB_PID_SMTP, log $LAB_TMP/smtp-MODE-LEAF.log.
revlab_smtp_start() {
	REVLAB_SMTP_PORT=$(lab_ports 1)
	revlab_spawn "smtp-$1-$2" "$REVLAB_SMTP_PORT" "$REVLAB_PY" \
	    "$LAB_SRC/tests/lab/revlab-smtp.py" "$1" \
	    "${3:-$REVLAB_PKI/$2-chain.pem}" "$REVLAB_PKI/$2.key" \
	    "$REVLAB_SMTP_PORT" ${4:+"$4"}
	REVLAB_PID_SMTP=$REVLAB_LAST_PID
}

# revlab_serve FILE NAME: atomically make www/NAME a copy of FILE.
revlab_serve() {
	cp "$1" "$REVLAB_PKI/www/.$2.tmp"
	mv -f "$REVLAB_PKI/www/.$2.tmp" "$REVLAB_PKI/www/$2"
}

# revlab_ocsp_capture LEAF OUT nonce|nononce: ask the running responder
# about LEAF with the openssl client (verified against root.pem) and keep
# the DER response in OUT (for replay tests).
revlab_ocsp_capture() {
	if [ "$3" = nonce ]; then
		_no=-nonce
	else
		_no=-no_nonce
	fi
	openssl ocsp -issuer "$REVLAB_PKI/int.pem" -cert "$REVLAB_PKI/$1.pem" \
	    -url "$REVLAB_OCSP_URL" -CAfile "$REVLAB_PKI/root.pem" "$_no" \
	    -respout "$2" >"$LAB_TMP/capture.log" 2>&1 ||
	    { cat "$LAB_TMP/capture.log" >&2; lab_die "OCSP capture failed"; }
}

# revlab_state NAME: use a fresh, empty cache ($LAB_TMP/state-NAME) from
# now on (certd keeps UNKNOWN answers and CRLs in the cache for a while).
revlab_state() {
	REVLAB_STATE="$LAB_TMP/state-$1"
	rm -rf "$REVLAB_STATE"
}

# revlab_certd ARGS...: certd check with the lab's state dir and root.
revlab_certd() {
	"$CERTD" --config "$LAB_CONF" --state-dir "$REVLAB_STATE" check \
	    --ca-file "$REVLAB_PKI/root.pem" "$@"
}

# revlab_check RC NAME ARGS...: run revlab_certd ARGS, output in
# $LAB_TMP/NAME.out/.err; fail unless the exit status is exactly RC.
revlab_check() {
	_rc_want=$1
	_rc_name=$2
	shift 2
	printf '$ certd check %s\n' "$*" >>"$LAB_TMP/commands.log"
	lab_expect "$_rc_want" "$_rc_name" revlab_certd "$@"
}

# revlab_json NAME [key=value|key=null|key=*|key~REGEX]...: NAME.out is one
# JSON object with every field of the contract, well formed (status, source
# and time formats, reason null unless revoked); then each assertion holds.
revlab_json() {
	_jn=$1
	shift
	"$REVLAB_PY" "$LAB_SRC/tests/lab/revlab-json.py" "$LAB_TMP/$_jn.out" \
	    "$@" >"$LAB_TMP/$_jn.json-check" 2>&1 || {
		cat "$LAB_TMP/$_jn.json-check" >&2
		printf -- '--- %s.out\n' "$_jn" >&2
		head -c 4000 "$LAB_TMP/$_jn.out" >&2
		printf -- '--- %s.err\n' "$_jn" >&2
		head -c 2000 "$LAB_TMP/$_jn.err" >&2
		lab_die "$_jn: JSON output check failed"
	}
}

# revlab_field NAME KEY: the value of KEY in NAME.out (JSON; "null" for
# null) - or, when NAME.out is not JSON, of the "KEY: value" line.
revlab_field() {
	"$REVLAB_PY" - "$LAB_TMP/$1.out" "$2" <<-'EOF'
	import json, sys
	text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
	try:
	    v = json.loads(text).get(sys.argv[2])
	    print("null" if v is None else v)
	except ValueError:
	    for ln in text.splitlines():
	        k, sep, v = ln.partition(":")
	        if sep and k.strip() == sys.argv[2]:
	            print(v.strip())
	            break
	EOF
}

# revlab_human NAME KEY VALUE|~REGEX: the human output has "KEY: VALUE".
revlab_human() {
	_hv=$(revlab_field "$1" "$2")
	case $3 in
	\~*)
		printf '%s\n' "$_hv" | grep -Eqi -- "${3#\~}" && return 0 ;;
	*)
		[ "$_hv" = "$3" ] && return 0 ;;
	esac
	printf -- '--- %s.out\n' "$1" >&2
	head -c 4000 "$LAB_TMP/$1.out" >&2
	lab_die "$1: '$2' is '$_hv', want '$3'"
}

# revlab_serial LEAF: serial of LEAF in lower-case hex, no leading zeros
revlab_serial() {
	openssl x509 -in "$REVLAB_PKI/$1.pem" -noout -serial |
	    sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//'
}

# revlab_fpr LEAF: SHA-256 fingerprint, lower-case hex, no colons
revlab_fpr() {
	openssl x509 -in "$REVLAB_PKI/$1.pem" -noout -fingerprint -sha256 |
	    sed 's/^.*=//' | tr -d ':' | tr 'A-F' 'a-f'
}

# revlab_revtime LEAF: revocation time of LEAF (RFC 3339, from revoked.txt)
revlab_revtime() {
	awk -v n="$1" '$1 == n { t = $4; printf "%s-%s-%sT%s:%s:%sZ\n",
	    substr(t, 1, 4), substr(t, 5, 2), substr(t, 7, 2), substr(t, 9, 2),
	    substr(t, 11, 2), substr(t, 13, 2) }' "$REVLAB_PKI/revoked.txt"
}

# revlab_leaf_json NAME LEAF STATUS SOURCE [REASON]: the usual assertions
# on a --json answer about LEAF: status, source, serial, fingerprint,
# subject, reason and revocation time (from the CA database) if revoked.
revlab_leaf_json() {
	_ln=$1
	_ll=$2
	_ls=$3
	_lsrc=$4
	_lr=${5:-}
	set -- "status=$_ls" "source=$_lsrc" "serial#=$(revlab_serial "$_ll")" \
	    "fingerprint_sha256#=$(revlab_fpr "$_ll")" \
	    "subject~$_ll\\.revlab\\.test"
	if [ "$_ls" = revoked ]; then
		set -- "$@" "reason=$_lr" "revoked_at=$(revlab_revtime "$_ll")"
	fi
	revlab_json "$_ln" "$@"
}
