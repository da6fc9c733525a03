# common.sh -- shared helpers for interop/<server>/start.sh and stop.sh.
# Sourced (bash). Conventions follow scripts/mailserver:
# root, no systemd, one STATE_DIR, ports = BASE_PORT + classic port on
# 127.0.0.1 only, a throwaway CA, users alice/bob/carol@example.test, an env
# file STATE_DIR/env with MAILTEST_* variables.
#
# Packages are NOT installed with dpkg: every server here conflicts with the
# Postfix/Dovecot stack (cyrus-imapd and courier-imap "Conflict: imap-server",
# which dovecot-imapd provides; exim4 and opensmtpd conflict with postfix as
# "mail-transport-agent"), so `apt-get install` would REMOVE postfix or
# dovecot. Instead the .debs (plus any dependency not installed on this
# machine) are fetched with `apt-get download` into a cache and unpacked with
# `dpkg-deb -x` into STATE_DIR/root; binaries run from there with
# LD_LIBRARY_PATH. Nothing outside STATE_DIR and the cache is written.

IX_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IX_DEB_CACHE=${INTEROP_DEB_CACHE:-/tmp/interop-debs}
DOMAIN=${MAILSTACK_DOMAIN:-example.test}
USERS=(alice bob carol)
declare -A PASS=([alice]='alice-secret' [bob]='bob-secret' [carol]='c4rol pa"ss\word')

IX_STARTED=""
ix_log() { echo "${IX_NAME:-interop}: $*" >&2; }
ix_die() {
  echo "${IX_NAME:-interop}: ERROR: $*" >&2
  if [ -n "$IX_STARTED" ] && [ -n "${IX_STOP:-}" ]; then
    echo "${IX_NAME:-interop}: stopping what was started" >&2
    "$IX_STOP" "$STATE" >&2 || true
  fi
  exit 1
}

# ix_init STATE_ARG BASE : sets STATE (absolute), BASE; checks root/port range
ix_init() {
  [ "$(id -u)" -eq 0 ] || ix_die "must run as root"
  BASE=$2
  [[ "$BASE" =~ ^[0-9]+$ ]] || ix_die "BASE_PORT must be a number"
  (( BASE >= 1024 && BASE + 995 <= 65535 )) || ix_die "BASE_PORT must be in 1024..64540"
  mkdir -p "$1"
  STATE=$(cd "$1" && pwd -P)
  (( ${#STATE} <= 60 )) || ix_die "STATE_DIR path too long (${#STATE} > 60 chars): unix socket paths would overflow"
  T0=$(date +%s.%N)
}

ix_elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}'; }

# ---------------------------------------------------------------- packages --
# ix_pkgroot PKG... : make STATE/root contain PKG... and every dependency that
# is not installed on this machine (resolved by `apt-get install -s`).
# Sets ROOT and IX_LDPATH.
ix_ldpath() { # IX_LDPATH = the unpacked library directories
  local d; IX_LDPATH=""
  for d in "$ROOT"/lib/*-linux-gnu "$ROOT"/usr/lib/*-linux-gnu ${IX_EXTRA_LIBDIRS:-}; do
    [ -d "$d" ] && IX_LDPATH+="${IX_LDPATH:+:}$d"
  done
  return 0
}
# ix_pkgroot [--backports] PKG... : make STATE/root contain PKG... and every
# dependency not installed on this machine (resolved by `apt-get install -s`
# against the real dpkg status). Sets ROOT and IX_LDPATH.
# --backports: take PKG from <codename>-backports, through a private apt
# configuration under $IX_DEB_CACHE/apt (own sources.list and lists; the
# system's apt setup is not touched).
ix_pkgroot() {
  ROOT=$STATE/root
  local sim fn stamp req line name ver arch APT=() REL=() files=() missing=() p
  if [ "${1:-}" = --backports ]; then
    shift
    local A=$IX_DEB_CACHE/apt codename
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    APT=(-o "Dir::Etc::SourceList=$A/sources.list" -o Dir::Etc::SourceParts=/nonexistent
         -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache")
    REL=(-t "$codename-backports")
  fi
  req="${REL[*]} $(printf '%s\n' "$@" | sort -u | paste -sd' ' -)"
  # fast path: already unpacked for the same request (INTEROP_REFRESH_PKGS=1
  # forces a new resolution, e.g. after a Debian point release)
  if [ "${INTEROP_REFRESH_PKGS:-0}" != 1 ] && [ -f "$ROOT/.ix-pkgs" ] && [ "$(cat "$ROOT/.ix-request" 2>/dev/null)" = "$req" ]; then
    ix_ldpath; return 0
  fi
  mkdir -p "$IX_DEB_CACHE"
  if (( ${#APT[@]} )); then
    mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
    cat > "$A/sources.list" <<EOF
deb http://deb.debian.org/debian $codename main
deb http://deb.debian.org/debian $codename-updates main
deb http://deb.debian.org/debian-security $codename-security main
deb http://deb.debian.org/debian $codename-backports main
EOF
    if [ -z "$(find "$A/lists" -maxdepth 1 -name '*backports*Packages*' -mmin -1440 2>/dev/null)" ] || [ "${INTEROP_REFRESH_PKGS:-0}" = 1 ]; then
      ix_log "apt-get update of the private apt lists in $A (with $codename-backports)"
      apt-get "${APT[@]}" -q update >"$A/update.log" 2>&1 || { tail -5 "$A/update.log" >&2; ix_die "apt-get update (private lists) failed"; }
    fi
  fi
  sim=$(apt-get "${APT[@]}" install -s -q --no-install-recommends "${REL[@]}" "$@" 2>&1) || {
    if (( ${#APT[@]} )); then echo "$sim" >&2; ix_die "cannot resolve packages: $*"; fi
    ix_log "apt-get -s failed; running apt-get update"
    apt-get update -q >/dev/null 2>&1 || true
    sim=$(apt-get install -s -q --no-install-recommends "$@" 2>&1) || { echo "$sim" >&2; ix_die "cannot resolve packages: $*"; }
  }
  # "Inst NAME (VER SUITE [ARCH])" = not installed yet; "Inst NAME [OLD] (NEW
  # ...)" = upgrade of an installed package: the installed one will do.
  declare -A seen=()
  while read -r name ver arch; do
    files+=("${name}_${ver//:/%3a}_$arch.deb"); seen[$name]=1
    [ -s "$IX_DEB_CACHE/${name}_${ver//:/%3a}_$arch.deb" ] || missing+=("$name=$ver")
  done < <(awk '/^Inst / && $3 !~ /^\[/ { v=$3; sub(/^\(/, "", v); a=""; if (match($0, /\[[a-z0-9]+\]\)/)) a=substr($0, RSTART+1, RLENGTH-3); print $2, v, a }' <<<"$sim")
  # requested packages that are installed system-wide: unpack them anyway
  for p in "$@"; do
    [ -n "${seen[$p]:-}" ] && continue
    line=$(apt-cache "${APT[@]}" show --no-all-versions "$p" 2>/dev/null |
           awk -F': ' '/^Version: /{v=$2} /^Architecture: /{a=$2} END{print v, a}')
    read -r ver arch <<<"$line"
    [ -n "$ver" ] || ix_die "no candidate for package $p"
    files+=("${p}_${ver//:/%3a}_$arch.deb")
    [ -s "$IX_DEB_CACHE/${p}_${ver//:/%3a}_$arch.deb" ] || missing+=("$p=$ver")
  done
  if (( ${#missing[@]} )); then
    ix_log "downloading ${#missing[@]} package(s) into $IX_DEB_CACHE: ${missing[*]}"
    if ! ( cd "$IX_DEB_CACHE" && apt-get "${APT[@]}" download -q "${missing[@]}" ) >"$IX_DEB_CACHE/download.log" 2>&1; then
      # stale package lists (a newer point release removed that version)
      ix_log "apt-get download failed; running apt-get update and resolving again"
      apt-get "${APT[@]}" update -q >>"$IX_DEB_CACHE/download.log" 2>&1 || true
      if [ "${IX_PKGROOT_RETRY:-0}" = 0 ]; then IX_PKGROOT_RETRY=1 INTEROP_REFRESH_PKGS=1 ix_pkgroot ${REL:+--backports} "$@"; return; fi
      tail -20 "$IX_DEB_CACHE/download.log" >&2; ix_die "apt-get download failed"
    fi
  fi
  stamp=$(printf '%s\n' "${files[@]}" | sort)
  if [ ! -f "$ROOT/.ix-pkgs" ] || [ "$(cat "$ROOT/.ix-pkgs")" != "$stamp" ]; then
    ix_log "unpacking ${#files[@]} package(s) into $ROOT"
    rm -rf "$ROOT"; mkdir -p "$ROOT"
    for fn in "${files[@]}"; do
      [ -s "$IX_DEB_CACHE/$fn" ] || ix_die "missing $IX_DEB_CACHE/$fn after download"
      dpkg-deb -x "$IX_DEB_CACHE/$fn" "$ROOT" || ix_die "dpkg-deb -x $fn failed"
    done
    printf '%s\n' "$stamp" > "$ROOT/.ix-pkgs"
  fi
  printf '%s\n' "$req" > "$ROOT/.ix-request"
  chmod 755 "$ROOT"
  ix_ldpath
}

# --------------------------------------------------------------------- TLS --
# Same layout as scripts/mailserver: STATE/tls/{ca.pem,ca.key,server.pem,
# server.key,dh.pem}; SAN localhost, 127.0.0.1, mail.$DOMAIN. Re-used across
# restarts so a CA path handed to clients stays valid.
ix_tls() {
  TLS=$STATE/tls
  mkdir -p "$TLS"; chmod 700 "$TLS"
  tls_ok() {
    [ -s "$TLS/ca.pem" ] && [ -s "$TLS/server.pem" ] && [ -s "$TLS/server.key" ] && [ -s "$TLS/dh.pem" ] &&
    openssl x509 -checkend 86400 -noout -in "$TLS/server.pem" >/dev/null 2>&1 &&
    openssl verify -CAfile "$TLS/ca.pem" "$TLS/server.pem" >/dev/null 2>&1
  }
  if ! tls_ok; then
    ix_log "generating CA and server certificate in $TLS"
    (
      cd "$TLS"
      umask 077
      openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
        -keyout ca.key -out ca.pem -subj "/O=interop test/CN=interop test CA ${IX_SERVER:-} $(date +%Y%m%d%H%M%S)" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" 2>/dev/null
      openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr \
        -subj "/O=interop test/CN=localhost" 2>/dev/null
      cat > server.ext <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:mail.$DOMAIN
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
EOF
      openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 825 \
        -extfile server.ext -out server.pem 2>/dev/null
      openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out dh.pem 2>/dev/null
      rm -f server.csr
      chmod 644 ca.pem server.pem dh.pem
    )
    tls_ok || ix_die "TLS material generation failed"
  fi
  chmod 711 "$TLS"
}

# ------------------------------------------------------------------- ports --
ix_ports_free() { local p; for p in "$@"; do
  [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] || ix_die "port $p is already in use: $(ss -Hltnp "sport = :$p" | head -1)"
done; }

ix_wait_ports() { # seconds port...
  local deadline=$(( $(date +%s) + $1 )) p; shift
  for p in "$@"; do
    until [ -n "$(ss -Hltn "src 127.0.0.1 and sport = :$p" 2>/dev/null)" ] && (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
      (( $(date +%s) < deadline )) || ix_die "port $p did not open in time (see $STATE/log)"
      # fail fast when the daemon (IX_WAIT_PIDFILE, once written) has died
      if [ -n "${IX_WAIT_PIDFILE:-}" ] && [ -s "$IX_WAIT_PIDFILE" ] && ! ix_alive "$(ix_read_pid "$IX_WAIT_PIDFILE")"; then
        ix_die "daemon (pid file $IX_WAIT_PIDFILE) exited before port $p opened (see $STATE/log)"
      fi
      sleep 0.05
    done
  done
}

ix_banner() { timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; head -n1 <&3" 2>/dev/null | tr -d '\r'; }

ix_tls_check() { # port [starttls-proto]
  [ "${MAILSTACK_SKIP_CHECKS:-0}" = 1 ] && return 0
  local extra=(); [ -n "${2:-}" ] && extra=(-starttls "$2")
  timeout 10 openssl s_client -connect "127.0.0.1:$1" "${extra[@]}" -CAfile "$TLS/ca.pem" \
    -verify_return_error -verify_hostname localhost -servername localhost </dev/null >"$STATE/log/tlscheck.$1" 2>&1 \
    || ix_die "TLS check failed on port $1 ${2:-implicit} (see $STATE/log/tlscheck.$1)"
  rm -f "$STATE/log/tlscheck.$1"
}

# --------------------------------------------------------------------- env --
ix_q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
# ix_write_env SERVER MAILDIR_FMT "KEY=VALUE"... ; MAILDIR_FMT: printf format
# with %s = user (or "" to omit MAILTEST_*_MAILDIR)
ix_write_env() {
  local server=$1 mdfmt=$2 u U; shift 2
  {
    echo "# $server interop test instance -- generated by start.sh $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "MAILTEST_SERVER=$server"
    echo "MAILTEST_STATE_DIR=$STATE"
    echo "MAILTEST_HOST=127.0.0.1"
    echo "MAILTEST_TLS_NAME=localhost"
    echo "MAILTEST_DOMAIN=$DOMAIN"
    echo "MAILTEST_CA_FILE=$TLS/ca.pem"
    for u in "${USERS[@]}"; do
      U=${u^^}
      echo "MAILTEST_${U}_USER=$u@$DOMAIN"
      echo "MAILTEST_${U}_PASS=$(ix_q "${PASS[$u]}")"
      [ -n "$mdfmt" ] && printf "MAILTEST_${U}_MAILDIR=$mdfmt\n" "$u"
    done
    echo "MAILTEST_LOG_DIR=$STATE/log"
    printf '%s\n' "$@"
  } > "$STATE/env.new"
  mv "$STATE/env.new" "$STATE/env"
}

# -------------------------------------------------------------------- stop --
# ix_read_pid FILE: the digits in FILE, or nothing (no error if missing)
ix_read_pid() { [ -r "$1" ] && tr -dc 0-9 < "$1" 2>/dev/null; return 0; }
# alive PID: exists and is not a zombie
ix_alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
# ix_pid_is PID EXE: alive and /proc/PID/exe is EXE (handles "(deleted)")
ix_pid_is() { ix_alive "$1" && [ "$(readlink "/proc/$1/exe" 2>/dev/null | sed 's/ (deleted)$//')" = "$2" ]; }
ix_wait_gone() { local i=0 n=$(( $2 * 20 )); while ix_alive "$1" && (( i < n )); do sleep 0.05; i=$((i+1)); done; ! ix_alive "$1"; }
# ix_stop_pid NAME PID EXE [SIG] : SIGTERM (or SIG) a verified pid, wait, SIGKILL fallback
ix_stop_pid() {
  local name=$1 pid=$2 exe=$3 sig=${4:-TERM}
  ix_pid_is "$pid" "$exe" || return 0
  ix_log "stopping $name (pid $pid)"
  kill -"$sig" "$pid" 2>/dev/null
  if ! ix_wait_gone "$pid" 10; then
    ix_log "$name pid $pid still alive after 10s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null
    ix_wait_gone "$pid" 5 || return 1
  fi
}
ix_wait_ports_free() { # from STATE/env
  local p i rc=0
  [ -f "$STATE/env" ] || return 0
  for p in $(sed -n 's/^MAILTEST_[A-Z0-9]*_PORT=\([0-9]*\)$/\1/p' "$STATE/env"); do
    i=0
    while [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && (( i < 100 )); do sleep 0.05; i=$((i+1)); done
    [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] || { ix_log "port $p still listening"; rc=1; }
  done
  return $rc
}

# ------------------------------------------------------- syslog capturing --
# Some daemons (Cyrus, OpenSMTPD, Courier) log only through syslog(3) and
# there is no syslogd here. ix_syslog_start starts lib/syslog_sink.py on
# STATE/run/<name>-syslog.sock; ix_ns_exec later bind-mounts that socket onto
# /dev/log inside a private mount namespace of the daemon only.
ix_syslog_start() { # name logfile
  local sock=$STATE/run/$1-syslog.sock pidf=$STATE/run/$1-syslog.pid i=0
  command -v python3 >/dev/null || { ix_log "python3 missing: $1 syslog output is lost"; return 0; }
  python3 "$IX_LIB/syslog_sink.py" "$sock" "$2" "$pidf" </dev/null >/dev/null 2>&1
  while [ ! -S "$sock" ] || [ ! -s "$pidf" ]; do sleep 0.02; i=$((i+1)); (( i < 250 )) || ix_die "syslog sink did not start"; done
}
ix_syslog_stop() { # name
  local pidf=$STATE/run/$1-syslog.pid pid
  pid=$(cat "$pidf" 2>/dev/null || true)
  if ix_alive "$pid" && grep -q syslog_sink.py "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null; ix_wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$pidf" "$STATE/run/$1-syslog.sock"
}

# ix_ns_prelude : prints a bash snippet to run inside `unshare -m` before
# exec'ing a daemon. Private to that namespace (nothing on the host changes):
#   IX_NS_SYSLOG=name  -> /dev is replaced by a copy whose /dev/log is the
#                         socket of `ix_syslog_start name`
#   IX_NS_USERS=(...)  -> "name:uid:gid:home" entries added to copies of
#                         /etc/passwd and /etc/group that are bind-mounted
#                         over the real ones (for compiled-in user names)
#   IX_NS_BINDS=(...)  -> "SRC=DST" bind mounts (DST must exist)
#   IX_NS_CMDS=(...)   -> further shell commands (e.g. overlay mounts)
ix_ns_prelude() {
  local e name uid gid home NSE=$STATE/run/ns-etc
  echo 'set -e'
  echo 'mount --make-rprivate / 2>/dev/null || true'
  if [ "${#IX_NS_USERS[@]}" -gt 0 ]; then
    mkdir -p "$NSE"
    cp /etc/passwd "$NSE/passwd"; cp /etc/group "$NSE/group"
    for e in "${IX_NS_USERS[@]}"; do
      IFS=: read -r name uid gid home <<<"$e"
      grep -q "^$name:" "$NSE/passwd" || echo "$name:x:$uid:$gid:interop $name:$home:/usr/sbin/nologin" >> "$NSE/passwd"
      grep -q "^$name:" "$NSE/group" || echo "$name:x:$gid:" >> "$NSE/group"
    done
    chmod 644 "$NSE/passwd" "$NSE/group"
    echo "mount --bind '$NSE/passwd' /etc/passwd"
    echo "mount --bind '$NSE/group' /etc/group"
  fi
  for e in "${IX_NS_BINDS[@]}"; do
    echo "mount --bind '${e%%=*}' '${e#*=}'"
  done
  for e in "${IX_NS_CMDS[@]}"; do echo "$e"; done
  if [ -n "${IX_NS_SYSLOG:-}" ] && [ -S "$STATE/run/$IX_NS_SYSLOG-syslog.sock" ]; then
    cat <<EOF
D=$STATE/run/ns-dev
mkdir -p "\$D"
mount -t tmpfs -o mode=755,size=64k ix-dev "\$D"
for e in /dev/* ; do
  n=\${e#/dev/}
  if [ -L "\$e" ]; then cp -P "\$e" "\$D/\$n"
  elif [ -d "\$e" ]; then mkdir "\$D/\$n"; mount --rbind "\$e" "\$D/\$n"
  else : > "\$D/\$n"; mount --bind "\$e" "\$D/\$n"
  fi
done
: > "\$D/log"; mount --bind "$STATE/run/$IX_NS_SYSLOG-syslog.sock" "\$D/log"
mount --rbind "\$D" /dev
EOF
  fi
}
IX_NS_USERS=(); IX_NS_BINDS=(); IX_NS_CMDS=()
ix_can_unshare() { unshare -m --propagation private true 2>/dev/null; }
