#!/bin/sh
# 67-install-exim-dovecot-crash - `certd install --for exim,dovecot` killed
# with SIGKILL at random moments (CRASH_RUNS times, default 16),
# alternating between two stored versions: after each kill Exim's one
# file holds a matching key and certificate (of one of the versions),
# Dovecot's `current` names a complete version directory with a matching
# pair, and the next `certd install` completes and both serve the current
# version. Meanwhile readers copy what Exim and Dovecot would read, again
# and again: no copy may hold a key and a certificate that differ.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/exim.sh"
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/dovecot.sh"
lab_init
lab_trap
dc_lab_system_check
lab_start
exim_lab_fetch
exim_lab_start
dc_lab_start
name=crash.example.test
live="$LAB_TMP/live"
xfile="$live/exim/$name.pem"
dtop="$live/dovecot/$name"
certs="$LAB_STATE/certs/$name"
runs=${CRASH_RUNS:-16}

args() {
	echo --exim-config "$EXIM_CONF" --exim-bin-dir "$EXIM_BIN_DIR" \
	    --dovecot-config "$DC_CONF" --dest-dir "$live" \
	    --verify-port "exim:$EXIM_PORT" --verify-port "dovecot:$DC_PORT" \
	    --deploy-hook-dir "$LAB_TMP/nohooks"
}

issue() {
	_l=$1
	shift
	# shellcheck disable=SC2046
	lab_expect 0 "$_l" lab_certd issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d "$name" \
	    --install exim,dovecot $(args) "$@"
}

# pair_ok KEYFILE CERTFILE: the key matches the (first) certificate
pair_ok() {
	_k=$(openssl pkey -in "$1" -pubout 2>/dev/null | sha256sum)
	_c=$(openssl x509 -in "$2" -noout -pubkey 2>/dev/null | sha256sum)
	[ -n "$_k" ] && [ "$_k" = "$_c" ]
}

issue first --configure
issue second
f1=$(lab_fpr_file "$certs/v0001/cert.pem")
f2=$(lab_fpr_file "$certs/v0002/cert.pem")
[ "$f1" != "$f2" ] || lab_die "two issues, one certificate"

# point the store's `current` at version V (an atomic rename)
switch() {
	ln -sfn "$1" "$certs/current.test"
	mv -T "$certs/current.test" "$certs/current"
}
# a random delay of 0 to 1.3 s, as "S.mmm"
delay() {
	_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	_ms=$((_r % 1300))
	printf '%d.%03d' $((_ms / 1000)) $((_ms % 1000))
}

# Exim opens its file once per connection: one copy, one pair.
# Dovecot's config process resolves current/ at a reload: one link, one
# version directory, whose files are never rewritten.
reader() {
	_n=0
	while [ ! -e "$LAB_TMP/reader.stop" ]; do
		if cat "$xfile" >"$LAB_TMP/r.pem" 2>/dev/null &&
		    ! pair_ok "$LAB_TMP/r.pem" "$LAB_TMP/r.pem"; then
			cp "$LAB_TMP/r.pem" "$LAB_TMP/reader.bad.exim"
			echo "exim mismatch" >>"$LAB_TMP/reader.fail"
		fi
		_v=$(readlink "$dtop/current" 2>/dev/null || true)
		if [ -n "$_v" ] &&
		    cat "$dtop/$_v/key.pem" >"$LAB_TMP/r.key" 2>/dev/null &&
		    cat "$dtop/$_v/fullchain.pem" >"$LAB_TMP/r.crt" \
		    2>/dev/null && ! pair_ok "$LAB_TMP/r.key" "$LAB_TMP/r.crt"
		then
			echo "dovecot mismatch in $_v" >>"$LAB_TMP/reader.fail"
		fi
		_n=$((_n + 1))
		sleep 0.05
	done
	echo "$_n" >"$LAB_TMP/reader.count"
}
reader &
LAB_PIDS="$LAB_PIDS $!"
reader_pid=$!

# after a kill: each MTA's files are one of the two versions, whole
check_files() {
	pair_ok "$xfile" "$xfile" ||
	    lab_die "$1: exim: key and certificate differ"
	_g=$(lab_fpr_file "$xfile")
	[ "$_g" = "$f1" ] || [ "$_g" = "$f2" ] ||
	    lab_die "$1: exim: unknown certificate $_g"
	for _t in "$live/exim"/.*.certd-new; do
		[ -e "$_t" ] || continue
		# a leftover is either still private (0600) or already has
		# the final file's mode (0640, Exim's group): never more
		case $(stat -c '%a %u' "$_t") in
		"600 0"|"640 0") ;;
		*) lab_die "$1: $_t: $(stat -c '%a %u' "$_t")" ;;
		esac
	done
	_v=$(readlink "$dtop/current")
	case $_v in
	v[0-9][0-9][0-9][0-9]) ;;
	*) lab_die "$1: dovecot: current -> $_v" ;;
	esac
	pair_ok "$dtop/current/key.pem" "$dtop/current/fullchain.pem" ||
	    lab_die "$1: dovecot: key and certificate differ in $_v"
	_g=$(lab_fpr_file "$dtop/current/fullchain.pem")
	[ "$_g" = "$f1" ] || [ "$_g" = "$f2" ] ||
	    lab_die "$1: dovecot: unknown certificate $_g"
}

i=1
killed=0
while [ "$i" -le "$runs" ]; do
	if [ $((i % 2)) -eq 1 ]; then v=v0001; want=$f1; else v=v0002; want=$f2; fi
	switch "$v"
	d=$(delay)
	# shellcheck disable=SC2046
	"$CERTD" --config "$LAB_CONF" --state-dir "$LAB_STATE" install \
	    --name "$name" --for exim,dovecot $(args) \
	    >"$LAB_TMP/crash.out" 2>"$LAB_TMP/crash.err" &
	pid=$!
	sleep "$d"
	kill -9 "$pid" 2>/dev/null || true
	st=0
	wait "$pid" 2>/dev/null || st=$?
	[ "$st" -ne 137 ] || killed=$((killed + 1))
	check_files "run $i (kill after ${d}s)"
	# shellcheck disable=SC2046
	lab_expect 0 "after$i" lab_certd install --name "$name" \
	    --for exim,dovecot $(args)
	[ "$(lab_fpr_file "$xfile")" = "$want" ] ||
	    lab_die "run $i: exim: $v not installed after the kill"
	[ "$(lab_fpr_file "$dtop/current/fullchain.pem")" = "$want" ] ||
	    lab_die "run $i: dovecot: $v not installed after the kill"
	echo "run $i: killed after ${d}s (exit $st), then installed $v"
	i=$((i + 1))
done
touch "$LAB_TMP/reader.stop"
wait "$reader_pid" || true
if [ -e "$LAB_TMP/reader.fail" ]; then
	cat "$LAB_TMP/reader.fail" >&2
	lab_die "a reader saw a key and a certificate that differ"
fi
echo "the reader checked $(cat "$LAB_TMP/reader.count") copies"
[ "$(exim_lab_fpr)" = "$want" ] || lab_die "exim does not serve $v"
[ "$(dc_lab_fpr)" = "$want" ] || lab_die "dovecot does not serve $v"
kill -0 "$EXIM_PID" || lab_die "exim died"
kill -0 "$DC_PID" || lab_die "dovecot died"
echo "$killed of $runs runs were killed before they finished"
[ "$killed" -gt 0 ] || lab_die "no run was killed: the test proves nothing"
echo "67-install-exim-dovecot-crash: ok"
