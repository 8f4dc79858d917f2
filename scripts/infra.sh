#!/usr/bin/env bash
# Real servers on loopback for the integration suites (see scripts/infra/README.md).
#
#   scripts/infra.sh up [pg|redis|kafka|nginx|voice|radicale|monitoring|all ...]  start (default: pg redis kafka); idempotent
#                                                       (monitoring is opt-in, not part of all)
#   scripts/infra.sh down                               stop everything this script started
#   scripts/infra.sh env                                `export VAR=value` lines for what is up
#   scripts/infra.sh status                             one line per component
#   scripts/infra.sh clean                              down, then delete the data (keeps the Kafka jars)
#   scripts/infra.sh kafka-tool CLASS [ARGS...]         run a Kafka tool class with the broker's classpath
#
# Scratch dir: $TEND_INFRA_DIR, default <repo>/.infra. Ports (env overrides), all below Linux's
# ephemeral range (32768-60999), so a client socket's local port can never be holding one:
#   TEND_INFRA_PG_PORT=25432  TEND_INFRA_PG_REPLICA_PORT=25433  TEND_INFRA_REDIS_PORT=26379
#   TEND_INFRA_KAFKA_PORT=29092  TEND_INFRA_KAFKA_CONTROLLER_PORT=29093  TEND_INFRA_NGINX_PORT=28080
#   TEND_INFRA_KAFKA_TLS_PORT=<Kafka port + 2> (the broker's SASL_SSL listener)
#   TEND_INFRA_GATEWAY_PORTS=18081,18082 (nginx upstreams)  TEND_INFRA_RADICALE_PORT=25232 (CalDAV)
# Kafka JVM: TEND_INFRA_KAFKA_JVM_OPTS (extra options), TEND_INFRA_KAFKA_CDS=0 (no class-data archive).
# Works as root on a fresh Debian 12 (installs what is missing with apt-get) and as a normal user
# when the packages are already there.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd -P)"
FILES_DIR="$SCRIPT_DIR/infra"

INFRA_DIR="${TEND_INFRA_DIR:-$REPO_ROOT/.infra}"
case "$INFRA_DIR" in /*) ;; *) INFRA_DIR="$PWD/$INFRA_DIR" ;; esac
LOG_DIR="$INFRA_DIR/logs"

PG_PORT="${TEND_INFRA_PG_PORT:-25432}"
PG_REPLICA_PORT="${TEND_INFRA_PG_REPLICA_PORT:-25433}"
REDIS_PORT="${TEND_INFRA_REDIS_PORT:-26379}"
KAFKA_PORT="${TEND_INFRA_KAFKA_PORT:-29092}"
KAFKA_CONTROLLER_PORT="${TEND_INFRA_KAFKA_CONTROLLER_PORT:-29093}"
# The broker's SASL_SSL listener (TLS with a CA this script generates, SASL PLAIN user `tend`).
KAFKA_TLS_PORT="${TEND_INFRA_KAFKA_TLS_PORT:-$((KAFKA_PORT + 2))}"
NGINX_PORT="${TEND_INFRA_NGINX_PORT:-28080}"
GATEWAY_PORTS="${TEND_INFRA_GATEWAY_PORTS:-18081,18082}"
RADICALE_PORT="${TEND_INFRA_RADICALE_PORT:-25232}"

PG_USER=tend PG_PASSWORD=tend PG_DB=tend
PG_PROBE_DB=tend_infra # replication probe lives here, not in the tests' database

KAFKA_DIR="$INFRA_DIR/kafka"
# TEND_INFRA_KAFKA_LIBS: jars fetched by another scratch dir (a second, throw-away broker reuses them).
KAFKA_LIBS="${TEND_INFRA_KAFKA_LIBS:-$KAFKA_DIR/libs}"
KAFKA_POM="$FILES_DIR/kafka-pom.xml"
# -XX:TieredStopAtLevel=1 (C1 JIT only): on 2 cores shared with the tests the broker is ready in
# about 3 s instead of 5-7 s and uses less CPU while the suites run; peak throughput is lower, which
# tests do not notice (TEND_INFRA_KAFKA_JVM_OPTS=-XX:TieredStopAtLevel=4 for full C2, e.g. benchmarks).
KAFKA_JVM_OPTS=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1
  -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true)
# Extra broker JVM options, split on spaces, after ours so they win (e.g. '-Xmx1g').
read -r -a _extra <<<"${TEND_INFRA_KAFKA_JVM_OPTS:-}"
KAFKA_JVM_OPTS+=("${_extra[@]}")
unset _extra

NGINX_DIR="$INFRA_DIR/nginx"

# fd 9 holds the lock during up/down/clean. Servers are started through `detach`, which closes it
# (and every other inherited fd) so that they neither hold the lock nor a caller's pipe.

# ---------------------------------------------------------------------------------------------
# small helpers

log() { printf '[infra] %s\n' "$*" >&2; }
die() {
  printf '[infra] ERROR: %s\n' "$*" >&2
  exit 1
}
now_ms() { date +%s%3N; }
since() { # since START_MS -> "1.23s"
  local d=$(($(now_ms) - $1))
  printf '%d.%02ds' $((d / 1000)) $(((d % 1000) / 10))
}

# Print the last lines of a log and fail.
fail_with_log() { # fail_with_log NAME LOGFILE MESSAGE
  local name=$1 file=$2 msg=$3
  {
    printf '[infra] ERROR: %s: %s\n' "$name" "$msg"
    if [[ -f $file ]]; then
      printf '[infra] ---- last lines of %s ----\n' "$file"
      tail -n 40 "$file" | sed 's/^/    /'
      printf '[infra] ---- end of %s ----\n' "$file"
    fi
  } >&2
  exit 1
}

check_port_value() {
  if [[ ! $2 =~ ^[0-9]+$ ]] || (($2 < 1 || $2 > 65535)); then die "$1 is not a port number: '$2'"; fi
}

# TCP connect to 127.0.0.1:PORT succeeds.
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

read_pid() { # read_pid FILE -> pid or nothing
  [[ -f $1 ]] || return 0
  local p
  p=$(head -n 1 "$1" 2>/dev/null | tr -dc '0-9') || true
  printf '%s' "$p"
}

# The process exists and is not a zombie (a server we just started, before or after its exec).
proc_alive() {
  local st
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  [[ ${st%% *} != Z ]]
}

# The process exists, is not a zombie, and its command line contains every PATTERN.
# This is what keeps us from signalling a process we did not start (a reused pid).
pid_matches() { # pid_matches PID PATTERN...
  local pid=$1 cmd
  shift
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ -n $cmd ]] || return 1 # zombie
  local pat
  for pat in "$@"; do [[ $cmd == *"$pat"* ]] || return 1; done
}

# detach CMD...: exec CMD in a new session (setsid) with every fd above 2 closed: the lock fd, and
# any pipe the caller handed down (a server holding a caller's pipe keeps e.g. a CI harness or a
# `$(...)` waiting for EOF). The caller sets stdin/stdout/stderr. Run it in a subshell.
detach() {
  local fd
  for fd in "/proc/$BASHPID/fd"/*; do
    fd=${fd##*/}
    if [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
  exec setsid "$@"
}

# The port the component was started on (recorded at start), else the configured one.
recorded_port() { # recorded_port NAME DEFAULT
  local f="$INFRA_DIR/$1.port" p=""
  [[ -f $f ]] && p=$(tr -dc '0-9' <"$f")
  printf '%s' "${p:-$2}"
}
record_port() { printf '%s\n' "$2" >"$INFRA_DIR/$1.port"; }

lock() {
  mkdir -p "$INFRA_DIR" "$LOG_DIR"
  exec 9>"$INFRA_DIR/.lock"
  if ! flock -w 600 9; then die "another infra.sh is holding $INFRA_DIR/.lock"; fi
}

# ---------------------------------------------------------------------------------------------
# installing what is missing (Debian, as root)

APT_UPDATED=0
POLICY_RC_ADDED=0
cleanup_policy_rc() {
  if ((POLICY_RC_ADDED)); then
    rm -f /usr/sbin/policy-rc.d
    POLICY_RC_ADDED=0
  fi
}
trap cleanup_policy_rc EXIT

apt_install() { # apt_install PKG...
  if ((EUID != 0)); then
    die "missing: $* (not root, cannot install). Install with: sudo apt-get install -y $*"
  fi
  command -v apt-get >/dev/null || die "missing: $* and no apt-get on this machine"
  mkdir -p "$LOG_DIR"
  local apt_log="$LOG_DIR/apt.log" t0
  t0=$(now_ms)
  # Packages like nginx, redis-server and postgresql start their own service on install (port 80,
  # 6379, 5432). We do not use those: a temporary policy-rc.d keeps them from being started.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# temporary, from scripts/infra.sh: do not start services on install\nexit 101\n' \
      >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_ADDED=1
  fi
  local apt_opts=(-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  if ((!APT_UPDATED)); then
    log "apt-get update (once)"
    DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >>"$apt_log" 2>&1 ||
      fail_with_log apt "$apt_log" "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y --no-install-recommends "$@" \
    >>"$apt_log" 2>&1 || fail_with_log apt "$apt_log" "apt-get install $* failed"
  cleanup_policy_rc
  log "installed $* in $(since "$t0")"
}

# ---------------------------------------------------------------------------------------------
# process start / stop

# Send SIGNAL to the pid in PIDFILE if it is still the process we started. Prints the pid.
signal_pidfile() { # signal_pidfile PIDFILE SIGNAL PATTERN...
  local file=$1 sig=$2 pid
  shift 2
  pid=$(read_pid "$file")
  if [[ -n $pid ]] && pid_matches "$pid" "$@"; then
    kill "-$sig" "$pid" 2>/dev/null || true
    printf '%s' "$pid"
  fi
}

# Wait until PID is gone (or no longer the process we started), SIGKILL after TIMEOUT seconds.
wait_gone() { # wait_gone NAME PID TIMEOUT PATTERN...
  local name=$1 pid=$2 timeout=$3 t0
  shift 3
  t0=$(now_ms)
  while pid_matches "$pid" "$@"; do
    if (($(now_ms) - t0 > timeout * 1000)); then
      log "$name (pid $pid) still running after ${timeout}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
      t0=$(now_ms)
      timeout=10
    fi
    sleep 0.05
  done
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL: primary + streaming replica

PGBIN=""
find_pgbin() { # the newest /usr/lib/postgresql/<version>/bin with initdb and pg_basebackup
  local d v best=0
  PGBIN=""
  for d in /usr/lib/postgresql/*/bin; do
    v=${d#/usr/lib/postgresql/}
    v=${v%/bin}
    [[ $v =~ ^[0-9]+$ && -x $d/initdb && -x $d/pg_basebackup && -x $d/psql ]] || continue
    if ((v > best)); then
      best=$v
      PGBIN=$d
    fi
  done
}

ensure_pg_installed() {
  find_pgbin
  if [[ -z $PGBIN ]]; then
    apt_install postgresql
    find_pgbin
    [[ -n $PGBIN ]] || die "postgresql installed but no /usr/lib/postgresql/<version>/bin/initdb"
  fi
  if ((EUID == 0)) && ! id -u postgres >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
      --shell /usr/sbin/nologin postgres
  fi
}

# PostgreSQL refuses to run as root, so as root every server-side command runs as `postgres`.
AS_PG=()
((EUID == 0)) && AS_PG=(runuser -u postgres --)
as_pg() { "${AS_PG[@]}" "$@"; }

# Where the data dirs live. Normally <scratch>/pg. As root, the postgres user must be able to reach
# it, and the repo may sit under a directory it cannot traverse (e.g. /root, mode 700). Rather than
# chmod-ing directories outside the scratch dir, we then put the data dirs in a private mktemp dir
# under /tmp (owned by postgres, mode 700) and record its path in <scratch>/pg.location. Logs stay
# in <scratch>/logs either way: the server's stdout/stderr are opened by this script, not by postgres.
pg_base() {
  local loc="$INFRA_DIR/pg.location"
  if [[ -f $loc ]]; then cat "$loc"; else printf '%s' "$INFRA_DIR/pg"; fi
}

pg_prepare_base() {
  local loc="$INFRA_DIR/pg.location" base
  if [[ -f $loc ]]; then
    base=$(cat "$loc")
    if [[ -d $base ]]; then
      printf '%s' "$base"
      return
    fi
    rm -f "$loc" # /tmp was cleaned (reboot): start over below
  fi
  base="$INFRA_DIR/pg"
  mkdir -p "$base"
  chmod 700 "$base"
  if ((EUID == 0)); then
    chown postgres:postgres "$base"
    if ! runuser -u postgres -- test -w "$base" -a -x "$base" 2>/dev/null; then
      rmdir "$base" 2>/dev/null || true
      base=$(mktemp -d /tmp/tend-infra-pg.XXXXXX)
      chown postgres:postgres "$base"
      chmod 700 "$base"
      printf '%s\n' "$base" >"$loc"
      log "postgres cannot reach $INFRA_DIR; PostgreSQL data dirs go to $base"
    fi
  fi
  printf '%s' "$base"
}

pg_psql() { # pg_psql PORT DB SQL...  (as the client; root is fine for psql)
  local port=$1 db=$2
  shift 2
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$port" -U "$PG_USER" -d "$db" -tA "$@"
}

pg_pid() { # pg_pid DATADIR -> postmaster pid if running
  local data=$1 pid
  pid=$(read_pid "$data/postmaster.pid")
  if [[ -n $pid ]] && pid_matches "$pid" postgres "$data"; then printf '%s' "$pid"; fi
}

pg_write_config() { # after initdb
  local data=$1
  cat >"$data/pg_hba.conf" <<'EOF'
# scripts/infra.sh: password (SCRAM) login over TCP from loopback only, replication included.
# TYPE  DATABASE     USER  ADDRESS        METHOD
host    all          all   127.0.0.1/32   scram-sha-256
host    replication  all   127.0.0.1/32   scram-sha-256
EOF
  cat >>"$data/postgresql.conf" <<'EOF'

# ---- scripts/infra.sh (test server: fast, not durable) ----
# The port is given on the command line (-p) so it can differ between primary and replica.
listen_addresses = '127.0.0.1'
unix_socket_directories = ''     # TCP only: no socket-path length / /var/run/postgresql issues
max_connections = 200
shared_buffers = 128MB
password_encryption = scram-sha-256
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
fsync = off                      # nothing reaches the disk synchronously...
full_page_writes = off
synchronous_commit = on          # ...so commits cost nothing, and the WAL goes to the replica at
                                 # commit time (with `off` it waits for the WAL writer, up to 200 ms)
logging_collector = off
log_line_prefix = '%m [%p] '
EOF
}

pg_start() { # pg_start NAME DATADIR PORT LOGFILE
  local name=$1 data=$2 port=$3 logf=$4 base
  base=$(dirname "$data")
  # pg_ctl without -l: the postmaster inherits stdout/stderr, i.e. the log file this (root) shell
  # opened, so the log can live in <scratch>/logs whatever its permissions. -w: wait until ready.
  (cd "$base" && detach "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$data" -w -t 60 -o "-p $port" start) \
    >>"$logf" 2>&1 </dev/null
}

pg_start_or_fail() { # pg_start_or_fail NAME DATADIR PORT LOGFILE
  local name=$1 data=$2 port=$3 logf=$4
  if ! pg_start "$@"; then
    fail_with_log "$name" "$logf" "PostgreSQL did not start on port $port (data: $data)"
  fi
}

pg_up() {
  local t0 base primary replica started=0 plog rlog pid
  t0=$(now_ms)
  check_port_value TEND_INFRA_PG_PORT "$PG_PORT"
  check_port_value TEND_INFRA_PG_REPLICA_PORT "$PG_REPLICA_PORT"
  ensure_pg_installed
  base=$(pg_prepare_base)
  primary="$base/primary"
  replica="$base/replica"
  plog="$LOG_DIR/pg-primary.log"
  rlog="$LOG_DIR/pg-replica.log"

  # primary
  pid=$(pg_pid "$primary")
  if [[ -n $pid ]]; then
    port_open "$(recorded_port pg-primary "$PG_PORT")" ||
      fail_with_log pg-primary "$plog" "running (pid $pid) but not accepting connections"
    log "pg-primary already up (pid $pid, port $(recorded_port pg-primary "$PG_PORT"))"
  else
    port_open "$PG_PORT" && die "port $PG_PORT is already in use by a process infra.sh did not start (set TEND_INFRA_PG_PORT)"
    if [[ ! -f $primary/PG_VERSION ]]; then
      rm -rf "$primary" "$replica"
      local pw="$base/.pwfile"
      printf '%s\n' "$PG_PASSWORD" >"$pw"
      ((EUID == 0)) && chown postgres:postgres "$pw"
      chmod 600 "$pw"
      printf '\n==== %s initdb ====\n' "$(date -Is)" >>"$plog"
      if ! (cd "$base" && as_pg "$PGBIN/initdb" -D "$primary" -U "$PG_USER" --pwfile="$pw" \
        --auth=scram-sha-256 -E UTF8 --no-locale -N) >>"$plog" 2>&1 </dev/null; then
        rm -f "$pw"
        fail_with_log pg-primary "$plog" "initdb failed"
      fi
      rm -f "$pw"
      pg_write_config "$primary"
    fi
    printf '\n==== %s start (port %s) ====\n' "$(date -Is)" "$PG_PORT" >>"$plog"
    pg_start_or_fail pg-primary "$primary" "$PG_PORT" "$plog"
    record_port pg-primary "$PG_PORT"
    started=1
    local db
    for db in "$PG_DB" "$PG_PROBE_DB"; do
      if [[ $(pg_psql "$PG_PORT" postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'") != 1 ]]; then
        pg_psql "$PG_PORT" postgres -c "CREATE DATABASE $db" >>"$plog" 2>&1 ||
          fail_with_log pg-primary "$plog" "CREATE DATABASE $db failed"
      fi
    done
    log "pg-primary up on 127.0.0.1:$PG_PORT (pid $(pg_pid "$primary"))"
  fi
  local primary_port
  primary_port=$(recorded_port pg-primary "$PG_PORT")

  # replica
  pid=$(pg_pid "$replica")
  if [[ -n $pid ]]; then
    log "pg-replica already up (pid $pid, port $(recorded_port pg-replica "$PG_REPLICA_PORT"))"
  else
    port_open "$PG_REPLICA_PORT" && die "port $PG_REPLICA_PORT is already in use by a process infra.sh did not start (set TEND_INFRA_PG_REPLICA_PORT)"
    local attempt
    for attempt in 1 2; do
      # (Re)build from a base backup when there is none, or it follows another primary port.
      if [[ ! -f $replica/PG_VERSION || ! -f $replica/standby.signal ||
        $(cat "$base/replica.primary-port" 2>/dev/null || true) != "$primary_port" || $attempt == 2 ]]; then
        rm -rf "$replica"
        printf '\n==== %s pg_basebackup from port %s ====\n' "$(date -Is)" "$primary_port" >>"$rlog"
        (cd "$base" && as_pg env PGPASSWORD="$PG_PASSWORD" "$PGBIN/pg_basebackup" -h 127.0.0.1 \
          -p "$primary_port" -U "$PG_USER" -D "$replica" -R -X stream -c fast -N) >>"$rlog" 2>&1 </dev/null ||
          fail_with_log pg-replica "$rlog" "pg_basebackup from the primary failed"
        printf '%s\n' "$primary_port" >"$base/replica.primary-port"
      fi
      printf '\n==== %s start (port %s) ====\n' "$(date -Is)" "$PG_REPLICA_PORT" >>"$rlog"
      if pg_start pg-replica "$replica" "$PG_REPLICA_PORT" "$rlog"; then break; fi
      if ((attempt == 2)); then
        fail_with_log pg-replica "$rlog" "replica did not start on port $PG_REPLICA_PORT"
      fi
      log "pg-replica did not start; rebuilding it from a fresh base backup"
    done
    record_port pg-replica "$PG_REPLICA_PORT"
    started=1
    log "pg-replica up on 127.0.0.1:$PG_REPLICA_PORT (pid $(pg_pid "$replica"))"
  fi

  if ((started)); then pg_verify_replication; fi
  log "pg ready in $(since "$t0")"
}

# Write on the primary, wait until the replica sees it; the primary must show a streaming standby.
pg_verify_replication() {
  local pport rport token t0 n="" state=""
  pport=$(recorded_port pg-primary "$PG_PORT")
  rport=$(recorded_port pg-replica "$PG_REPLICA_PORT")
  token="probe-$(date +%s%N)"
  t0=$(now_ms)
  pg_psql "$pport" "$PG_PROBE_DB" -c "SET client_min_messages = warning" -c "CREATE TABLE IF NOT EXISTS replication_probe (token text PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())" \
    -c "DELETE FROM replication_probe" -c "INSERT INTO replication_probe (token) VALUES ('$token')" \
    >>"$LOG_DIR/pg-primary.log" 2>&1 || fail_with_log pg-primary "$LOG_DIR/pg-primary.log" "write on the primary failed"
  while (($(now_ms) - t0 < 30000)); do
    n=$(pg_psql "$rport" "$PG_PROBE_DB" -c "SELECT count(*) FROM replication_probe WHERE token = '$token'" 2>/dev/null || true)
    state=$(pg_psql "$pport" postgres -c "SELECT state FROM pg_stat_replication WHERE state = 'streaming' LIMIT 1" 2>/dev/null || true)
    [[ $n == 1 && $state == streaming ]] && break
    sleep 0.05
  done
  [[ $n == 1 ]] || fail_with_log pg-replica "$LOG_DIR/pg-replica.log" "a row written on the primary did not reach the replica within 30s"
  [[ $state == streaming ]] || fail_with_log pg-primary "$LOG_DIR/pg-primary.log" "pg_stat_replication shows no streaming standby"
  log "pg replication verified (write on primary seen on replica in $(since "$t0"), standby streaming)"
}

pg_stop() {
  [[ -f $INFRA_DIR/pg.location || -d $INFRA_DIR/pg ]] || return 0
  local base name pid data
  base=$(pg_base)
  # Replica first, then primary. SIGINT = "fast" shutdown (what pg_ctl stop -m fast sends).
  for name in replica primary; do
    data="$base/$name"
    pid=$(signal_pidfile "$data/postmaster.pid" INT postgres "$data")
    if [[ -n $pid ]]; then
      wait_gone "pg-$name" "$pid" 30 postgres "$data"
      log "pg-$name stopped (pid $pid)"
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# Redis

REDIS_PIDFILE="$INFRA_DIR/redis/redis.pid"

redis_ping() { # redis_ping PORT: PING -> +PONG over plain TCP (no redis-cli needed)
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1"' || exit 1
    printf "PING\r\n" >&3
    IFS= read -r -t 1 line <&3 || exit 1
    [[ $line == "+PONG"* ]]' 2>/dev/null
}

# Our redis-server: the pid from our pid file, a redis-server whose working directory is our redis
# dir (its command line is rewritten to "redis-server 127.0.0.1:PORT", which another one may share).
redis_pid() {
  local pid dir
  pid=$(read_pid "$REDIS_PIDFILE")
  [[ -n $pid ]] && pid_matches "$pid" redis-server || return 0
  dir=$(cd "$INFRA_DIR/redis" 2>/dev/null && pwd -P) || return 0
  if [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$dir" ]]; then printf '%s' "$pid"; fi
}

redis_up() {
  local t0 pid logf="$LOG_DIR/redis.log" bin
  t0=$(now_ms)
  check_port_value TEND_INFRA_REDIS_PORT "$REDIS_PORT"
  pid=$(redis_pid)
  if [[ -n $pid ]]; then
    redis_ping "$(recorded_port redis "$REDIS_PORT")" ||
      fail_with_log redis "$logf" "running (pid $pid) but does not answer PING"
    log "redis already up (pid $pid, port $(recorded_port redis "$REDIS_PORT"))"
    return
  fi
  bin=$(command -v redis-server || true)
  [[ -n $bin ]] || bin=/usr/bin/redis-server
  if [[ ! -x $bin ]]; then
    apt_install redis-server
    bin=$(command -v redis-server || echo /usr/bin/redis-server)
  fi
  port_open "$REDIS_PORT" && die "port $REDIS_PORT is already in use by a process infra.sh did not start (set TEND_INFRA_REDIS_PORT)"
  mkdir -p "$INFRA_DIR/redis"
  printf '\n==== %s start (port %s) ====\n' "$(date -Is)" "$REDIS_PORT" >>"$logf"
  (cd "$INFRA_DIR/redis" && detach "$bin" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
    --appendonly no --daemonize no --dir "$INFRA_DIR/redis" --logfile '') >>"$logf" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$REDIS_PIDFILE"
  record_port redis "$REDIS_PORT"
  while ! redis_ping "$REDIS_PORT"; do
    if ! proc_alive "$pid"; then
      rm -f "$REDIS_PIDFILE"
      fail_with_log redis "$logf" "redis-server exited during start"
    fi
    if (($(now_ms) - t0 > 20000)); then
      kill -TERM "$pid" 2>/dev/null || true
      fail_with_log redis "$logf" "no PONG from 127.0.0.1:$REDIS_PORT within 20s"
    fi
    sleep 0.02
  done
  log "redis up on 127.0.0.1:$REDIS_PORT (pid $pid) in $(since "$t0")"
}

redis_stop() {
  local pid
  pid=$(redis_pid)
  if [[ -n $pid ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone redis "$pid" 20 redis-server
    log "redis stopped (pid $pid)"
  fi
  rm -f "$REDIS_PIDFILE"
}

# ---------------------------------------------------------------------------------------------
# Kafka (KRaft, single node acting as broker + controller)

KAFKA_PIDFILE="$KAFKA_DIR/kafka.pid"
JAVA=""

JAVA_BUILD=""
java_major() { # java_major JAVA -> 17 (and sets JAVA_BUILD, e.g. 17.0.15+6-Debian-1deb12u1)
  local out
  out=$("$1" -version 2>&1) || return 0
  JAVA_BUILD=$(sed -nE '2s/.*\(build ([^)]*)\).*/\1/p' <<<"$out" | tr -c 'A-Za-z0-9.+_\n-' '_')
  sed -nE '1s/.*version "([0-9]+)(\.[0-9]+)*.*".*/\1/p' <<<"$out"
}

ensure_java() {
  local j v
  for j in "$(command -v java || true)" /usr/lib/jvm/java-17-openjdk-*/bin/java /usr/lib/jvm/java-21-openjdk-*/bin/java; do
    [[ -n $j && -x $j ]] || continue
    v=$(java_major "$j")
    if [[ -n $v ]] && ((v >= 17)); then
      JAVA=$j
      java_major "$JAVA" >/dev/null # sets JAVA_BUILD in this shell
      return
    fi
  done
  apt_install openjdk-17-jre-headless
  JAVA=$(ls /usr/lib/jvm/java-17-openjdk-*/bin/java 2>/dev/null | head -n 1)
  [[ -x $JAVA ]] || die "no Java 17 after installing openjdk-17-jre-headless"
  java_major "$JAVA" >/dev/null
}

# Class-data sharing (AppCDS) for the broker JVM: the first run dumps the classes it loaded into an
# archive when it exits (on `down`); later starts map it, which takes about a third off the start
# time on this 2-core machine. A new archive is checked once (a JVM killed while dumping leaves a
# truncated file that would crash the next JVM) before it is used. Off in CI (CI=true: a fresh
# clone starts Kafka once, so the dump would only make `down` slower) and with TEND_INFRA_KAFKA_CDS=0.
KAFKA_CDS_OPTS=()
kafka_cds_opts() {
  KAFKA_CDS_OPTS=()
  local default=1
  [[ ${CI:-} == true ]] && default=0
  [[ ${TEND_INFRA_KAFKA_CDS:-$default} == 1 && -n $JAVA_BUILD ]] || return 0
  local dir="$KAFKA_DIR/cds" jsa new
  jsa="$dir/kafka-$JAVA_BUILD.jsa"
  new="$jsa.new"
  mkdir -p "$dir"
  if [[ -f $new ]]; then
    if (cd "$dir" && "$JAVA" -XX:SharedArchiveFile="$new" -Xshare:on -XX:ErrorFile=/dev/null \
      -cp "$KAFKA_LIBS/*" -version) >/dev/null 2>&1 </dev/null; then
      mv -f "$new" "$jsa"
    else
      rm -f "$new"
    fi
  fi
  if [[ -f $jsa ]]; then
    KAFKA_CDS_OPTS=(-XX:SharedArchiveFile="$jsa")
  else
    rm -f "$dir"/*.jsa
    KAFKA_CDS_OPTS=(-XX:ArchiveClassesAtExit="$new")
  fi
  KAFKA_CDS_OPTS+=(-Xlog:cds=off -Xlog:cds+dynamic=off)
}

pom_hash() { sha256sum "$KAFKA_POM" | cut -c1-64; }

# Kafka's jars from Maven Central, cached in <scratch>/kafka/libs (keyed on the pom's hash).
kafka_fetch_libs() {
  local want t0 tmp="$KAFKA_DIR/libs.tmp" mlog="$LOG_DIR/kafka-mvn.log"
  want=$(pom_hash)
  if [[ -f $KAFKA_LIBS/.complete && $(cat "$KAFKA_LIBS/.complete") == "$want" ]]; then return; fi
  command -v mvn >/dev/null || apt_install maven
  t0=$(now_ms)
  log "fetching Kafka jars with Maven (first time only)..."
  rm -rf "$tmp"
  mkdir -p "$KAFKA_DIR"
  printf '\n==== %s mvn dependency:copy-dependencies ====\n' "$(date -Is)" >>"$mlog"
  # JAVA_HOME for mvn, in case the default java is older than 17.
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$JAVA")")")" \
    mvn -q -B -Dstyle.color=never -f "$KAFKA_POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >>"$mlog" 2>&1 </dev/null ||
    fail_with_log kafka "$mlog" "mvn could not fetch the Kafka jars (scripts/infra/kafka-pom.xml)"
  ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || fail_with_log kafka "$mlog" "no kafka_2.13 jar after mvn"
  printf '%s\n' "$want" >"$tmp/.complete"
  rm -rf "$KAFKA_LIBS" "$KAFKA_DIR/cds"
  mv "$tmp" "$KAFKA_LIBS"
  log "Kafka jars fetched in $(since "$t0") ($(ls "$KAFKA_LIBS"/kafka_2.13-*.jar | sed -E 's/.*kafka_2.13-(.*)\.jar/kafka_2.13 \1/'))"
}

kafka_pid() {
  local pid
  pid=$(read_pid "$KAFKA_PIDFILE")
  if [[ -n $pid ]] && pid_matches "$pid" java kafka.Kafka "$KAFKA_DIR/server.properties"; then printf '%s' "$pid"; fi
}

# A self-signed CA and the broker's certificate (for 127.0.0.1 and localhost) signed by it, in a
# PKCS#12 keystore Kafka reads directly; made once per scratch directory. The SASL password is
# random per scratch directory too. Clients trust tls/ca.pem (TEST_KAFKA_TLS_CA_FILE).
KAFKA_TLS_DIR="$KAFKA_DIR/tls"
kafka_tls_material() {
  local d="$KAFKA_TLS_DIR"
  [[ -f $d/broker.p12 && -f $d/ca.pem && -f $d/secret ]] && return
  command -v openssl >/dev/null || die "openssl is needed for the Kafka TLS listener (apt-get install openssl)"
  rm -rf "$d" && mkdir -p "$d" && chmod 700 "$d"
  local t0 secret
  t0=$(now_ms)
  secret=$(openssl rand -hex 16)
  (
    cd "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=tend-test-kafka-ca" \
      -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout broker.key -out broker.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >broker.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile broker.ext \
      -out broker.pem 2>/dev/null
    openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -name broker \
      -passout "pass:$secret" -out broker.p12
    rm -f ca.key broker.csr broker.ext ca.srl
  ) || die "could not make the Kafka TLS certificates"
  printf '%s\n' "$secret" >"$d/secret"
  chmod 600 "$d"/*
  log "Kafka TLS material made in $(since "$t0") ($d)"
}

kafka_write_properties() {
  kafka_tls_material
  local secret
  secret=$(cat "$KAFKA_TLS_DIR/secret")
  cat >"$KAFKA_DIR/server.properties" <<EOF
# Generated by scripts/infra.sh (rewritten on every start).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT,SASL_SSL://127.0.0.1:$KAFKA_TLS_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_TLS_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_tend="$secret";
ssl.keystore.type=PKCS12
ssl.keystore.location=$KAFKA_TLS_DIR/broker.p12
ssl.keystore.password=$secret
ssl.key.password=$secret
ssl.enabled.protocols=TLSv1.3,TLSv1.2
log.dirs=$KAFKA_DIR/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
log.retention.hours=24
num.network.threads=2
num.io.threads=4
EOF
}

kafka_up() {
  local t0 pid logf="$LOG_DIR/kafka.log" offset
  t0=$(now_ms)
  check_port_value TEND_INFRA_KAFKA_PORT "$KAFKA_PORT"
  check_port_value TEND_INFRA_KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
  check_port_value TEND_INFRA_KAFKA_TLS_PORT "$KAFKA_TLS_PORT"
  pid=$(kafka_pid)
  if [[ -n $pid ]]; then
    port_open "$(recorded_port kafka "$KAFKA_PORT")" ||
      fail_with_log kafka "$logf" "running (pid $pid) but port $(recorded_port kafka "$KAFKA_PORT") is closed"
    log "kafka already up (pid $pid, port $(recorded_port kafka "$KAFKA_PORT"))"
    return
  fi
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$KAFKA_TLS_PORT"; do
    port_open "$p" && die "port $p is already in use by a process infra.sh did not start (set TEND_INFRA_KAFKA_PORT / TEND_INFRA_KAFKA_CONTROLLER_PORT)"
  done
  ensure_java
  kafka_fetch_libs
  mkdir -p "$KAFKA_DIR"
  kafka_write_properties
  local cp="$KAFKA_LIBS/*" log4j=(-Dlog4j2.configurationFile="$FILES_DIR/kafka-log4j2.properties")
  # Storage is formatted once; again only if it is missing or the ports changed (the static
  # controller quorum names the controller port).
  if [[ ! -f $KAFKA_DIR/data/meta.properties ||
    $(cat "$KAFKA_DIR/data.ports" 2>/dev/null || true) != "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" ]]; then
    rm -rf "$KAFKA_DIR/data"
    local cluster_id
    # A Kafka cluster id: 16 random bytes, base64url without padding (22 chars). One that begins
    # with '-' would read as an option to the storage tool, so draw again (Kafka's own does too).
    cluster_id=-
    while [[ $cluster_id == -* ]]; do
      cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    done
    printf '\n==== %s format storage (cluster %s) ====\n' "$(date -Is)" "$cluster_id" >>"$logf"
    (cd "$KAFKA_DIR" && "$JAVA" -Xmx256m "${log4j[@]}" -cp "$cp" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$KAFKA_DIR/server.properties") >>"$logf" 2>&1 </dev/null ||
      fail_with_log kafka "$logf" "kafka.tools.StorageTool format failed"
    printf '%s %s\n' "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" >"$KAFKA_DIR/data.ports"
  fi
  printf '\n==== %s start (port %s, controller %s) ====\n' "$(date -Is)" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" >>"$logf"
  offset=$(stat -c %s "$logf")
  local t1
  t1=$(now_ms)
  kafka_cds_opts
  # cwd = the Kafka scratch dir, so nothing (hs_err files, ...) lands in the caller's directory.
  (cd "$KAFKA_DIR" && detach "$JAVA" "${KAFKA_JVM_OPTS[@]}" "${KAFKA_CDS_OPTS[@]}" "${log4j[@]}" \
    -XX:ErrorFile="$KAFKA_DIR/hs_err_pid%p.log" -cp "$cp" kafka.Kafka "$KAFKA_DIR/server.properties") \
    >>"$logf" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$KAFKA_PIDFILE"
  record_port kafka "$KAFKA_PORT"
  # Ready when the broker says so (after it is unfenced) and the listener accepts connections.
  while ! { tail -c +"$((offset + 1))" "$logf" | grep -q 'Kafka Server started' && port_open "$KAFKA_PORT"; }; do
    if ! proc_alive "$pid"; then
      rm -f "$KAFKA_PIDFILE"
      fail_with_log kafka "$logf" "the Kafka JVM exited during start"
    fi
    if (($(now_ms) - t1 > 120000)); then
      kill -TERM "$pid" 2>/dev/null || true
      wait_gone kafka "$pid" 20 java kafka.Kafka
      rm -f "$KAFKA_PIDFILE"
      fail_with_log kafka "$logf" "the broker did not report 'Kafka Server started' within 120s"
    fi
    sleep 0.1
  done
  log "kafka up on 127.0.0.1:$KAFKA_PORT (pid $pid): JVM start to ready $(since "$t1"), total $(since "$t0")"
}

kafka_tool() { # kafka_tool CLASS ARGS...
  [[ $# -ge 1 ]] || die "usage: infra.sh kafka-tool CLASS [ARGS...] (e.g. org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:$KAFKA_PORT --list)"
  [[ -f $KAFKA_LIBS/.complete ]] || die "no Kafka jars yet: run 'scripts/infra.sh up kafka' first"
  ensure_java
  exec "$JAVA" -Xmx256m -cp "$KAFKA_LIBS/*" "$@"
}

# ---------------------------------------------------------------------------------------------
# nginx (edge tests only: started on `up nginx` / `up all`)

NGINX_PIDFILE="$NGINX_DIR/nginx.pid"

nginx_pid() {
  local pid
  pid=$(read_pid "$NGINX_PIDFILE")
  if [[ -n $pid ]] && pid_matches "$pid" nginx "$NGINX_DIR/nginx.conf"; then printf '%s' "$pid"; fi
}

http_status() { # http_status PORT PATH -> status code
  timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1"' || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "'"$2"'" >&3
    IFS=" " read -r -t 2 _ code _ <&3 || exit 1
    printf "%s" "$code"' 2>/dev/null || true
}

nginx_up() {
  local t0 pid logf="$LOG_DIR/nginx.log" bin
  t0=$(now_ms)
  check_port_value TEND_INFRA_NGINX_PORT "$NGINX_PORT"
  pid=$(nginx_pid)
  if [[ -n $pid ]]; then
    [[ $(http_status "$(recorded_port nginx "$NGINX_PORT")" /__infra/health) == 200 ]] ||
      fail_with_log nginx "$LOG_DIR/nginx-error.log" "running (pid $pid) but /__infra/health does not answer 200"
    log "nginx already up (pid $pid, port $(recorded_port nginx "$NGINX_PORT"))"
    return
  fi
  bin=$(command -v nginx || true)
  [[ -n $bin ]] || bin=/usr/sbin/nginx
  if [[ ! -x $bin ]]; then
    apt_install nginx
    bin=/usr/sbin/nginx
  fi
  port_open "$NGINX_PORT" && die "port $NGINX_PORT is already in use by a process infra.sh did not start (set TEND_INFRA_NGINX_PORT)"

  mkdir -p "$NGINX_DIR/tmp"
  local servers="" gp user_directive="" conf
  IFS=',' read -r -a gps <<<"$GATEWAY_PORTS"
  for gp in "${gps[@]}"; do
    gp=${gp//[[:space:]]/}
    [[ -n $gp ]] || continue
    check_port_value TEND_INFRA_GATEWAY_PORTS "$gp"
    servers+="        server 127.0.0.1:$gp max_fails=3 fail_timeout=30s;"$'\n'
  done
  [[ -n $servers ]] || die "TEND_INFRA_GATEWAY_PORTS names no port"
  if ((EUID == 0)); then
    # Workers drop to www-data (Debian's user for nginx). They only need the temp dirs, and only for
    # large bodies; if www-data cannot reach the scratch dir (e.g. under /root), keep them root
    # rather than chmod-ing anything outside the scratch dir. Loopback-only test proxy.
    if id -u www-data >/dev/null 2>&1 && runuser -u www-data -- test -x "$NGINX_DIR/tmp" 2>/dev/null; then
      user_directive="user www-data www-data;"
    else
      user_directive="user root root;"
    fi
  fi
  conf=$(<"$FILES_DIR/nginx.conf.template")
  conf=${conf//@USER_DIRECTIVE@/$user_directive}
  conf=${conf//@PREFIX@/$NGINX_DIR}
  conf=${conf//@LOG_DIR@/$LOG_DIR}
  conf=${conf//@PORT@/$NGINX_PORT}
  conf=${conf//@UPSTREAM_SERVERS@/${servers%$'\n'}}
  printf '%s\n' "$conf" >"$NGINX_DIR/nginx.conf"

  local args=(-p "$NGINX_DIR" -e "$LOG_DIR/nginx-error.log" -c "$NGINX_DIR/nginx.conf")
  printf '\n==== %s config test ====\n' "$(date -Is)" >>"$logf"
  "$bin" "${args[@]}" -t -g "pid $NGINX_PIDFILE;" >>"$logf" 2>&1 </dev/null ||
    fail_with_log nginx "$logf" "nginx -t rejected $NGINX_DIR/nginx.conf"
  printf '==== %s start (port %s, upstreams %s) ====\n' "$(date -Is)" "$NGINX_PORT" "$GATEWAY_PORTS" >>"$logf"
  (cd "$NGINX_DIR" && detach "$bin" "${args[@]}" -g "daemon off; pid $NGINX_PIDFILE;") >>"$logf" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$NGINX_PIDFILE"
  record_port nginx "$NGINX_PORT"
  while [[ $(http_status "$NGINX_PORT" /__infra/health) != 200 ]]; do
    if ! proc_alive "$pid"; then
      rm -f "$NGINX_PIDFILE"
      cat "$LOG_DIR/nginx-error.log" >>"$logf" 2>/dev/null || true
      fail_with_log nginx "$logf" "nginx exited during start"
    fi
    if (($(now_ms) - t0 > 15000)); then
      kill -TERM "$pid" 2>/dev/null || true
      fail_with_log nginx "$LOG_DIR/nginx-error.log" "no 200 from http://127.0.0.1:$NGINX_PORT/__infra/health within 15s"
    fi
    sleep 0.02
  done
  log "nginx up on 127.0.0.1:$NGINX_PORT -> gateways $GATEWAY_PORTS (pid $pid) in $(since "$t0")"
}

nginx_stop() {
  local pid
  pid=$(signal_pidfile "$NGINX_PIDFILE" TERM nginx "$NGINX_DIR/nginx.conf")
  if [[ -n $pid ]]; then
    wait_gone nginx "$pid" 20 nginx "$NGINX_DIR/nginx.conf"
    log "nginx stopped (pid $pid)"
  fi
  rm -f "$NGINX_PIDFILE"
}

# ---------------------------------------------------------------------------------------------
# what is up right now (checked, not assumed): prints "PID PORT" or nothing

probe() { # probe COMPONENT
  local pid="" port
  case $1 in
  pg-primary)
    port=$(recorded_port pg-primary "$PG_PORT")
    [[ -f $INFRA_DIR/pg.location || -d $INFRA_DIR/pg ]] && pid=$(pg_pid "$(pg_base)/primary")
    [[ -n $pid ]] && port_open "$port" || pid=""
    ;;
  pg-replica)
    port=$(recorded_port pg-replica "$PG_REPLICA_PORT")
    [[ -f $INFRA_DIR/pg.location || -d $INFRA_DIR/pg ]] && pid=$(pg_pid "$(pg_base)/replica")
    [[ -n $pid ]] && port_open "$port" || pid=""
    ;;
  redis)
    port=$(recorded_port redis "$REDIS_PORT")
    pid=$(redis_pid)
    [[ -n $pid ]] && redis_ping "$port" || pid=""
    ;;
  kafka)
    port=$(recorded_port kafka "$KAFKA_PORT")
    pid=$(kafka_pid)
    [[ -n $pid ]] && port_open "$port" || pid=""
    ;;
  nginx)
    port=$(recorded_port nginx "$NGINX_PORT")
    pid=$(nginx_pid)
    [[ -n $pid ]] && [[ $(http_status "$port" /__infra/health) == 200 ]] || pid=""
    ;;
  radicale)
    port=$(recorded_port radicale "$RADICALE_PORT")
    pid=$(radicale_pid)
    [[ -n $pid ]] && [[ $(http_status "$port" /.web/) == 200 ]] || pid=""
    ;;
  esac
  printf '%s %s' "${pid:--}" "$port"
}

cmd_env() {
  local out=() r pid port
  r=$(probe pg-primary) && read -r pid port <<<"$r"
  [[ $pid != - ]] && out+=("export TEST_DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$port/$PG_DB")
  r=$(probe pg-replica) && read -r pid port <<<"$r"
  [[ $pid != - ]] && out+=("export TEST_DATABASE_REPLICA_URLS=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$port/$PG_DB")
  r=$(probe redis) && read -r pid port <<<"$r"
  [[ $pid != - ]] && out+=("export TEST_REDIS_URL=redis://127.0.0.1:$port")
  r=$(probe kafka) && read -r pid port <<<"$r"
  [[ $pid != - ]] && out+=("export TEST_KAFKA_BROKERS=127.0.0.1:$port")
  [[ $pid != - && -f $KAFKA_TLS_DIR/secret ]] && grep -q "^listeners=.*SASL_SSL" "$KAFKA_DIR/server.properties" 2>/dev/null &&
    out+=("export TEST_KAFKA_TLS_BROKERS=127.0.0.1:$KAFKA_TLS_PORT" "export TEST_KAFKA_TLS_CA_FILE=$KAFKA_TLS_DIR/ca.pem"
      "export TEST_KAFKA_SASL_USERNAME=tend" "export TEST_KAFKA_SASL_PASSWORD=$(cat "$KAFKA_TLS_DIR/secret")")
  r=$(probe nginx) && read -r pid port <<<"$r"
  [[ $pid != - ]] && out+=("export TEST_NGINX_URL=http://127.0.0.1:$port")
  r=$(probe radicale) && read -r pid port <<<"$r"
  [[ $pid != - ]] && out+=("export TEST_CALDAV_URL=http://127.0.0.1:$port/" "export TEST_CALDAV_USER=$RADICALE_USER"
    "export TEST_CALDAV_PASSWORD=$RADICALE_PASSWORD")
  if ((${#out[@]})); then
    printf '%s\n' "export TEND_INFRA=1" "${out[@]}"
  fi
}

cmd_status() {
  local c r pid port
  for c in pg-primary pg-replica redis kafka nginx radicale; do
    r=$(probe "$c")
    read -r pid port <<<"$r"
    if [[ $pid != - ]]; then
      printf '%-11s up    port=%-5s pid=%s\n' "$c" "$port" "$pid"
    else
      printf '%-11s down  port=%-5s pid=-\n' "$c" "$port"
    fi
  done
}

# --- Radicale (CalDAV server for the calendar sync suites) ---------------------------------
# Debian's radicale (GPL-3.0), one user `tend` (password `tend`, htpasswd plain) whose
# collections live under $INFRA_DIR/radicale/collections; each suite makes its own calendar
# under /tend/ with MKCALENDAR, so suites do not see each other's events.
RADICALE_DIR="$INFRA_DIR/radicale"
RADICALE_PIDFILE="$RADICALE_DIR/radicale.pid"
RADICALE_USER=tend RADICALE_PASSWORD=tend

radicale_pid() {
  local pid
  pid=$(read_pid "$RADICALE_PIDFILE")
  [[ -n $pid ]] && pid_matches "$pid" radicale "$RADICALE_DIR/config" && printf '%s' "$pid"
  return 0
}

radicale_up() {
  local t0 pid logf="$LOG_DIR/radicale.log"
  t0=$(now_ms)
  check_port_value TEND_INFRA_RADICALE_PORT "$RADICALE_PORT"
  pid=$(radicale_pid)
  if [[ -n $pid ]]; then
    [[ $(http_status "$(recorded_port radicale "$RADICALE_PORT")" /.web/) == 200 ]] ||
      fail_with_log radicale "$logf" "running (pid $pid) but does not answer HTTP"
    log "radicale already up (pid $pid, port $(recorded_port radicale "$RADICALE_PORT"))"
    return
  fi
  # python3-tz: Radicale's vobject needs it to read events whose TZID has no VTIMEZONE.
  if ! command -v radicale >/dev/null || ! dpkg-query -W python3-tz >/dev/null 2>&1; then apt_install radicale python3-tz; fi
  port_open "$RADICALE_PORT" && die "port $RADICALE_PORT is already in use by a process infra.sh did not start (set TEND_INFRA_RADICALE_PORT)"
  mkdir -p "$RADICALE_DIR/collections" "$LOG_DIR"
  printf '%s:%s\n' "$RADICALE_USER" "$RADICALE_PASSWORD" >"$RADICALE_DIR/users"
  printf '%s\n' '[server]' "hosts = 127.0.0.1:$RADICALE_PORT" 'max_content_length = 100000000' \
    '[auth]' 'type = htpasswd' "htpasswd_filename = $RADICALE_DIR/users" 'htpasswd_encryption = plain' 'delay = 0' \
    '[rights]' 'type = owner_only' \
    '[storage]' "filesystem_folder = $RADICALE_DIR/collections" \
    '[logging]' 'level = warning' >"$RADICALE_DIR/config"
  printf '\n==== %s start (port %s) ====\n' "$(date -Is)" "$RADICALE_PORT" >>"$logf"
  detach radicale --config "$RADICALE_DIR/config" >>"$logf" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$RADICALE_PIDFILE"
  record_port radicale "$RADICALE_PORT"
  while [[ $(http_status "$RADICALE_PORT" /.web/) != 200 ]]; do
    if ! proc_alive "$pid"; then
      rm -f "$RADICALE_PIDFILE"
      fail_with_log radicale "$logf" "radicale exited during start"
    fi
    if (($(now_ms) - t0 > 20000)); then
      kill -TERM "$pid" 2>/dev/null || true
      fail_with_log radicale "$logf" "no answer from 127.0.0.1:$RADICALE_PORT within 20s"
    fi
    sleep 0.05
  done
  log "radicale up on 127.0.0.1:$RADICALE_PORT (pid $pid) in $(since "$t0")"
}

radicale_stop() {
  local pid
  pid=$(radicale_pid)
  if [[ -n $pid ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone radicale "$pid" 20 radicale
    log "radicale stopped (pid $pid)"
  fi
  rm -f "$RADICALE_PIDFILE"
}

# --- speech engines (voice service) -------------------------------------------------------
# Not a server: the Debian engines the voice service runs as child processes. pocketsphinx
# (BSD-2-Clause) with its US English acoustic model and CMUdict, eSpeak NG (GPL-3.0), and the
# pocketsphinx test recordings (real human speech for the voice tests). ffmpeg comes from npm.
voice_up() {
  local missing=()
  command -v pocketsphinx_continuous >/dev/null || missing+=(pocketsphinx)
  [[ -f /usr/share/pocketsphinx/model/en-us/en-us/mdef ]] || missing+=(pocketsphinx-en-us)
  [[ -d /usr/share/pocketsphinx/test/data ]] || missing+=(pocketsphinx-testdata)
  command -v espeak-ng >/dev/null || missing+=(espeak-ng)
  if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
  log "voice engines: pocketsphinx $(dpkg-query -W -f='${Version}' pocketsphinx 2>/dev/null || echo '?'), espeak-ng $(espeak-ng --version 2>/dev/null | awk '{print $3}')"
}

# --- monitoring (opt-in) ------------------------------------------------------------------
# Not a server either: Debian's Prometheus, promtool, Alertmanager and amtool, which the alerting
# end-to-end suite (e2e/monitoring-alerts.test.ts) starts itself on free loopback ports, and
# .ci/check-monitoring.sh uses to check the rules and routing.
monitoring_up() {
  local missing=()
  command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
  command -v prometheus-alertmanager >/dev/null && command -v amtool >/dev/null || missing+=(prometheus-alertmanager)
  if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
  log "monitoring: prometheus $(dpkg-query -W -f='${Version}' prometheus 2>/dev/null || echo '?'), alertmanager $(dpkg-query -W -f='${Version}' prometheus-alertmanager 2>/dev/null || echo '?')"
}

cmd_up() {
  local want=() c t0
  t0=$(now_ms)
  if (($# == 0)); then want=(pg redis kafka); fi
  for c in "$@"; do
    case $c in
    all) want+=(pg redis kafka nginx voice radicale) ;;
    pg | postgres | postgresql) want+=(pg) ;;
    redis | kafka | nginx | voice | radicale | monitoring) want+=("$c") ;;
    *) die "unknown component '$c' (pg, redis, kafka, nginx, voice, radicale, monitoring, all)" ;;
    esac
  done
  lock
  local done_list=" "
  for c in "${want[@]}"; do
    [[ $done_list == *" $c "* ]] && continue
    done_list+="$c "
    "${c}_up"
  done
  done_list=${done_list# }
  log "up (${done_list% }) in $(since "$t0")"
  cmd_status >&2
}

cmd_down() {
  [[ -d $INFRA_DIR ]] || {
    log "nothing to stop ($INFRA_DIR does not exist)"
    return 0
  }
  lock
  local t0
  t0=$(now_ms)
  # Signal the slow one first so its shutdown overlaps with the others.
  local kpid
  kpid=$(signal_pidfile "$KAFKA_PIDFILE" TERM java kafka.Kafka "$KAFKA_DIR/server.properties")
  nginx_stop
  radicale_stop
  redis_stop
  pg_stop
  if [[ -n $kpid ]]; then
    wait_gone kafka "$kpid" 60 java kafka.Kafka "$KAFKA_DIR/server.properties"
    log "kafka stopped (pid $kpid)"
  fi
  rm -f "$KAFKA_PIDFILE"
  log "down in $(since "$t0")"
}

cmd_clean() {
  cmd_down
  [[ -d $INFRA_DIR ]] || return 0
  local loc="$INFRA_DIR/pg.location" d
  if [[ -f $loc ]]; then
    d=$(cat "$loc")
    # Only ever a dir this script made with mktemp.
    [[ $d == /tmp/tend-infra-pg.* && -d $d ]] && rm -rf -- "$d"
    rm -f "$loc"
  fi
  # Only what this script creates (TEND_INFRA_DIR may point anywhere): keep kafka/libs (a cache).
  rm -rf -- "$INFRA_DIR/pg" "$INFRA_DIR/redis" "$KAFKA_DIR/data" "$KAFKA_DIR/data.ports" \
    "$KAFKA_DIR/libs.tmp" "$KAFKA_DIR/server.properties" "$KAFKA_PIDFILE" "$NGINX_DIR" "$RADICALE_DIR" "$LOG_DIR"
  rm -f -- "$INFRA_DIR"/*.port
  log "cleaned $INFRA_DIR$([[ -d $KAFKA_LIBS ]] && echo " (kept the Kafka jars in $KAFKA_LIBS)")"
}

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  clean) cmd_clean ;;
  kafka-tool) kafka_tool "$@" ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
  esac
}

# On one line: bash reads a script as it runs it, so a file edited meanwhile cannot change what
# runs after main returns.
main "$@"; exit $?
