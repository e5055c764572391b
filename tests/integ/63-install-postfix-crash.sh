#!/bin/sh
# 63-install-postfix-crash - `certd install` (then `certd renew --force`)
# killed with SIGKILL at random
# moments (CRASH_RUNS times, default 25), alternating between two stored
# versions so that every run replaces the file: after each kill the file
# Postfix reads holds a key and a certificate that match (one of the two
# versions, never a mix), and the next `certd install` completes and
# Postfix serves the current version. Meanwhile a reader copies the file
# again and again: no copy may hold a key and a certificate that differ.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/postfix.sh"
lab_init
lab_trap
lab_start
pf_init postfix
pf_start
name=crash.example.test
live="$LAB_TMP/live"
placed="$live/postfix/$name.pem"
certs="$LAB_STATE/certs/$name"
runs=${CRASH_RUNS:-25}

# issue LABEL ARGS...
issue() {
	_l=$1
	shift
	lab_expect 0 "$_l" lab_certd issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d "$name" \
	    --install postfix --postfix-config-dir "$PF_CONF" \
	    --verify-port "$PF_PORT" --dest-dir "$live" \
	    --deploy-hook-dir "$LAB_TMP/nohooks" "$@"
}
issue first --configure
issue second
f1=$(pf_file_fpr "$certs/v0001/cert.pem")
f2=$(pf_file_fpr "$certs/v0002/cert.pem")
[ "$f1" != "$f2" ] || lab_die "two issues, one certificate"

# point `current` at version V the way the store does (atomic rename)
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

# a reader that copies the file over and over meanwhile: every copy
# must hold a matching pair ("at any instant, for any reader")
reader() {
	_n=0
	while [ ! -e "$LAB_TMP/reader.stop" ]; do
		cat "$placed" >"$LAB_TMP/reader.pem" 2>/dev/null || continue
		if ! pf_pair_ok "$LAB_TMP/reader.pem"; then
			cp "$LAB_TMP/reader.pem" "$LAB_TMP/reader.bad"
			echo "mismatch" >>"$LAB_TMP/reader.fail"
		fi
		_n=$((_n + 1))
		sleep 0.05
	done
	echo "$_n" >"$LAB_TMP/reader.count"
}
reader &
LAB_PIDS="$LAB_PIDS $!"
reader_pid=$!

i=1
killed=0
while [ "$i" -le "$runs" ]; do
	if [ $((i % 2)) -eq 1 ]; then v=v0001; want=$f1; else v=v0002; want=$f2; fi
	switch "$v"
	d=$(delay)
	"$CERTD" --config "$LAB_CONF" --state-dir "$LAB_STATE" install \
	    --name "$name" >"$LAB_TMP/crash.out" 2>"$LAB_TMP/crash.err" &
	pid=$!
	sleep "$d"
	kill -9 "$pid" 2>/dev/null || true
	st=0
	wait "$pid" 2>/dev/null || st=$?
	[ "$st" -ne 137 ] || killed=$((killed + 1))
	# what Postfix would read now: a matching pair of one of the versions
	pf_pair_ok "$placed" ||
	    lab_die "run $i (kill after ${d}s): key and certificate differ"
	got=$(pf_file_fpr "$placed")
	[ "$got" = "$f1" ] || [ "$got" = "$f2" ] ||
	    lab_die "run $i: $placed holds an unknown certificate $got"
	# a temporary file may be left, but only readable by root
	for t in "$live/postfix"/.*.certd-new; do
		[ -e "$t" ] || continue
		[ "$(stat -c '%a %u' "$t")" = "600 0" ] ||
		    lab_die "run $i: $t: $(stat -c '%a %u' "$t")"
	done
	# and the next run completes
	lab_expect 0 "after$i" lab_certd install --name "$name"
	[ "$(pf_file_fpr "$placed")" = "$want" ] ||
	    lab_die "run $i: $v was not installed after the kill"
	echo "run $i: killed after ${d}s, then installed $v"
	i=$((i + 1))
done
touch "$LAB_TMP/reader.stop"
wait "$reader_pid" || true
[ ! -e "$LAB_TMP/reader.fail" ] ||
    lab_die "a reader saw a key and a certificate that differ"
echo "the reader checked $(cat "$LAB_TMP/reader.count") copies"
[ "$(pf_served_fpr)" = "$want" ] || lab_die "postfix does not serve $v"
pf_pair_ok "$placed" || lab_die "final: key and certificate differ"
echo "$killed of $runs runs were killed before they finished"
[ "$killed" -gt 0 ] || lab_die "no run was killed: the test proves nothing"

# The same for `certd renew --force` (issue #4): a renewal killed at any
# point, even between storing the new version and installing it, leaves a
# matching pair, and the next plain `certd renew` (nothing due) completes
# and makes Postfix serve the current version.
lab_expect 0 inst0 lab_certd install --name "$name"
lab_expect 0 base lab_certd renew --name "$name"
rruns=${CRASH_RENEW_RUNS:-12}
i=1
rkilled=0
while [ "$i" -le "$rruns" ]; do
	d=$(delay)
	# exec: $! must be certd itself, not a shell around it
	(exec "$CERTD" --config "$LAB_CONF" --state-dir "$LAB_STATE" \
	    --server "$LAB_DIR_URL" --ca-bundle "$LAB_CA" renew --force \
	    --name "$name" >"$LAB_TMP/rcrash.out" 2>"$LAB_TMP/rcrash.err") &
	pid=$!
	sleep "$d"
	kill -9 "$pid" 2>/dev/null || true
	st=0
	wait "$pid" 2>/dev/null || st=$?
	[ "$st" -ne 137 ] || rkilled=$((rkilled + 1))
	cat "$LAB_TMP/rcrash.out" "$LAB_TMP/rcrash.err"
	pf_pair_ok "$placed" ||
	    lab_die "renew run $i (kill after ${d}s): key and certificate differ"
	lab_expect 0 "rafter$i" lab_certd renew --name "$name"
	cur=$(pf_file_fpr "$certs/current/cert.pem")
	[ "$(pf_file_fpr "$placed")" = "$cur" ] ||
	    lab_die "renew run $i: the current version is not installed"
	pf_wait_fpr "$cur" ||
	    lab_die "renew run $i: postfix does not serve the current version"
	echo "renew run $i: killed after ${d}s (exit $st), next renew ok"
	i=$((i + 1))
done
echo "$rkilled of $rruns renewals were killed before they finished"
[ "$rkilled" -gt 0 ] || lab_die "no renewal was killed"
echo "63-install-postfix-crash: ok"
