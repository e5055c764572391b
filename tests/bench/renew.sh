#!/bin/sh
# renew.sh - `certd renew` benchmarks (a benchmark, not a test):
#  1. 200 managed certificates, none due, ARI/directory polls not due:
#     wall and CPU time of `certd renew` (target <= 50 ms wall; median of
#     RUNS) with --server pointing at a closed port, inside a network
#     namespace without any network (unshare -n), and under strace: not
#     one network system call may happen, and nothing is written to the
#     state directory (no file created, renamed, removed or fsynced).
#  2. 20 due certificates renewed against pebble: one `certd renew` vs 20
#     runs of `lego renew`, wall time.
# Needs CERTD and O (absolute paths); report in $O/bench/renew.md.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
: "${CERTD:?CERTD must name the certd binary}"
: "${O:?O must name the build directory}"
N=${BENCH_RENEW_N:-200}
DUE=${BENCH_RENEW_DUE:-20}
RUNS=${BENCH_RENEW_RUNS:-11}
for t in lego strace unshare pebble openssl python3; do
	command -v "$t" >/dev/null 2>&1 ||
	    { echo "renew.sh: $t not found (make deps-bench)" >&2; exit 1; }
done
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
mkdir -p "$O/bench"
REPORT="$O/bench/renew.md"

# ms CMD...: wall time of CMD in milliseconds into $MS (stdout/stderr to
# files); not in a subshell, so that lab_die stops the benchmark
ms() {
	_t0=$(date +%s%N)
	"$@" >"$LAB_TMP/ms.out" 2>"$LAB_TMP/ms.err" || {
		tail -n 20 "$LAB_TMP/ms.err" >&2
		lab_die "benchmark command failed: $*"
	}
	_t1=$(date +%s%N)
	MS=$(((_t1 - _t0) / 1000000))
}

# runs N CMD...: run CMD N times (output discarded, must exit 0); prints
# "WALL CPU MIN MAX": the medians of wall and CPU (user + system, from
# wait4's rusage) time and the extremes of wall time, in milliseconds
runs() {
	python3 - "$@" <<'PY'
import resource, subprocess, sys, time
n, cmd = int(sys.argv[1]), sys.argv[2:]
walls, cpus = [], []
for _ in range(n):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    t1 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode(errors="replace"))
        sys.exit("runs: %s exited %d" % (cmd[0], p.returncode))
    walls.append((t1 - t0) * 1000)
    cpus.append((r1.ru_utime - r0.ru_utime + r1.ru_stime -
                 r0.ru_stime) * 1000)
med = lambda v: sorted(v)[len(v) // 2] if len(v) % 2 else \
    sum(sorted(v)[len(v) // 2 - 1:len(v) // 2 + 1]) / 2
print("%.1f %.1f %.1f %.1f" % (med(walls), med(cpus), min(walls),
                               max(walls)))
PY
}

# --- 1. N certificates, none due
lab_log "issuing one certificate and cloning it $N times"
lab_expect 0 issue lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d seed.bench.test
C="$LAB_STATE/certs"
i=1
while [ "$i" -lt "$N" ]; do
	n="c$i.bench.test"
	mkdir "$C/$n"
	cp -a "$C/seed.bench.test/v0001" "$C/$n/v0001"
	sed -i "s/seed\.bench\.test/$n/" "$C/$n/v0001/meta"
	ln -s v0001 "$C/$n/current"
	i=$((i + 1))
done
# warm-up against pebble: learns "no renewalInfo" for every certificate
lab_expect 0 warm lab_certd renew
[ "$(grep -c 'not due' "$LAB_TMP/warm.out")" = "$N" ] ||
    lab_die "warm-up: not all $N certificates are 'not due'"
closed=$(lab_ports 1)
set -- "$CERTD" --config "$LAB_CONF" --state-dir "$LAB_STATE" \
    --server "https://127.0.0.1:$closed/dir" --ca-bundle "$LAB_CA" renew
lab_log "timing: $RUNS runs each"
r=$(runs "$RUNS" unshare -n "$@") || lab_die "unshare -n certd renew failed"
read -r ns_wall ns_cpu ns_min ns_max <<EOF
$r
EOF
r=$(runs "$RUNS" "$@") || lab_die "certd renew failed"
read -r pl_wall pl_cpu _ _ <<EOF
$r
EOF
# the floor: starting the process (dynamic linking, libcurl/OpenSSL set-up)
r=$(runs "$RUNS" "$CERTD" --version) || lab_die "certd --version failed"
read -r up_wall up_cpu _ _ <<EOF
$r
EOF
"$@" >"$LAB_TMP/plain.out" 2>&1 || lab_die "certd renew failed"
[ "$(grep -c 'not due' "$LAB_TMP/plain.out")" = "$N" ] ||
    lab_die "timed state: not all $N certificates are 'not due'"
strace -f -qq -e trace=%network,openat,rename,renameat,renameat2,unlink,\
unlinkat,mkdir,mkdirat,fsync,fdatasync,sync_file_range \
    -o "$LAB_TMP/strace.txt" "$@" >"$LAB_TMP/strace.out" 2>&1 ||
    lab_die "under strace: failed"
# every traced call that is not one of the file calls is a network call
FILECALLS='(openat|rename|renameat2?|unlink|unlinkat|mkdir|mkdirat|fsync'
FILECALLS="$FILECALLS|fdatasync|sync_file_range)\\("
grep -E '^[0-9 ]*[a-z0-9_]+\(' "$LAB_TMP/strace.txt" |
    grep -Ev "^[0-9 ]*$FILECALLS" >"$LAB_TMP/net.txt" || true
net=$(wc -l <"$LAB_TMP/net.txt")
[ "$net" = 0 ] || {
	cat "$LAB_TMP/net.txt" >&2
	lab_die "$net network system calls with nothing due"
}
# writes: files opened for writing or created, renamed, removed, synced
writes=$(grep -Ec 'O_WRONLY|O_RDWR|O_CREAT|rename|unlink|mkdir|sync' \
    "$LAB_TMP/strace.txt" || true)
[ "$writes" = 0 ] || {
	grep -E 'O_WRONLY|O_RDWR|O_CREAT|rename|unlink|mkdir|sync' \
	    "$LAB_TMP/strace.txt" >&2
	lab_die "$writes writes to the state directory with nothing due"
}
pems=$(grep -c 'cert\.pem"' "$LAB_TMP/strace.txt" || true)

# --- 2. DUE certificates due against pebble: certd vs lego
lab_log "issuing $DUE certificates with certd and with lego"
LG="$LAB_TMP/lego"
mkdir -p "$LG" "$LAB_TMP/due"
LEGO_CA_CERTIFICATES=$LAB_CA
export LEGO_CA_CERTIFICATES
DS="$LAB_TMP/due/state"
i=1
while [ "$i" -le "$DUE" ]; do
	"$CERTD" --config "$LAB_CONF" --state-dir "$DS" --server "$LAB_DIR_URL" \
	    --ca-bundle "$LAB_CA" --agree-tos issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" \
	    -d "d$i.bench.test" >/dev/null 2>&1 || lab_die "certd issue $i"
	lego --server "$LAB_DIR_URL" --accept-tos --email bench@example.org \
	    --path "$LG" --key-type ec256 --http \
	    --http.port "127.0.0.1:$LAB_HTTP_PORT" --domains "l$i.bench.test" \
	    run >/dev/null 2>&1 || lab_die "lego run $i"
	i=$((i + 1))
done
na=$(date -d "$(openssl x509 -in "$DS/certs/d1.bench.test/current/cert.pem" \
    -noout -enddate | cut -d= -f2)" +%s)
due_certd() {
	CERTD_FAKE_NOW=$((na - 86400)) "$CERTD" --config "$LAB_CONF" \
	    --state-dir "$DS" --server "$LAB_DIR_URL" --ca-bundle "$LAB_CA" \
	    renew
}
ms due_certd
t_certd=$MS
[ "$(grep -c 'renewed (lifetime)' "$LAB_TMP/ms.out")" = "$DUE" ] ||
    lab_die "certd renewed fewer than $DUE"
due_lego() {
	_i=1
	while [ "$_i" -le "$DUE" ]; do
		# --days beyond pebble's 5 years: every certificate is due
		lego --server "$LAB_DIR_URL" --accept-tos \
		    --email bench@example.org --path "$LG" --key-type ec256 \
		    --http --http.port "127.0.0.1:$LAB_HTTP_PORT" \
		    --domains "l$_i.bench.test" renew --days 3000 \
		    --no-random-sleep || return 1
		_i=$((_i + 1))
	done
}
ms due_lego
t_lego=$MS

{
	echo "# certd renew benchmark"
	echo
	echo "$(nproc) cores; pebble 2.4 on loopback (no VA sleep)."
	echo
	echo "| case | wall time | CPU time |"
	echo "|---|---|---|"
	echo "| $N certificates, none due, \`unshare -n certd renew\`," \
	    "median of $RUNS (min $ns_min, max $ns_max) | $ns_wall ms |" \
	    "$ns_cpu ms |"
	echo "| same without unshare (--server at a closed port)," \
	    "median of $RUNS | $pl_wall ms | $pl_cpu ms |"
	echo "| process start-up alone (\`certd --version\`), median of" \
	    "$RUNS | $up_wall ms | $up_cpu ms |"
	echo "| network system calls with nothing due (strace) | $net | |"
	echo "| files written, created, renamed, removed or synced (strace)" \
	    "| $writes | |"
	echo "| certificates parsed (cert.pem opened, strace) | $pems | |"
	echo "| $DUE due: one \`certd renew\` | $t_certd ms | |"
	echo "| $DUE due: $DUE x \`lego renew\` | $t_lego ms | |"
} >"$REPORT"
cat "$REPORT"
