# Helpers for packaging_test.sh (sourced). Every wait is bounded; every
# process started here is recorded and stopped by cleanup().

started_pids=()
agent_pid=
relay_manual_pid=

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
pass() { printf 'PASS: %s\n' "$*"; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

systemd_pid1() { [ -d /run/systemd/system ]; }

# Runs until `cmd` succeeds, at most `seconds`. wait_until SECONDS WHAT CMD...
wait_until() {
  local seconds=$1 what=$2
  shift 2
  local tries=$((seconds * 4))
  for _ in $(seq 1 "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  die "timed out after ${seconds}s waiting for $what"
}

# A TCP port on 127.0.0.1 that nothing listens on.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 20000))
    if ! port_open "$port"; then
      echo "$port"
      return 0
    fi
  done
  die "no free port found"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The value of "NAME" in the one-line JSON object on stdin (string or number).
json_field() {
  sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" | head -n 1
}

dpkg_do() { DEBIAN_FRONTEND=noninteractive dpkg --force-confold "$@"; }

expect_mode() {  # PATH MODE OWNER
  local got
  got=$(stat -c '%a %U' "$1")
  [ "$got" = "$2 $3" ] || die "$1 is '$got', expected '$2 $3'"
}

expect_field() {  # DEB FIELD SUBSTRING
  local value
  value=$(dpkg-deb -f "$1" "$2")
  [[ "$value" == *"$3"* ]] || die "$(basename "$1"): $2 is '$value', expected it to contain '$3'"
}

expect_conffile() {  # DEB PATH
  local dir
  dir=$(mktemp -d "$work/ctrl.XXXXXX")
  dpkg-deb -e "$1" "$dir"
  grep -qx "$2" "$dir/conffiles" || die "$(basename "$1"): $2 is not a conffile"
}

# Metadata, the listed paths, maintainer scripts that parse.
check_deb() {  # DEB PACKAGE VERSION PATH...
  local file=$1 package=$2 version=$3
  shift 3
  say "$(basename "$file"):"
  dpkg-deb -f "$file" | sed 's/^/  /'
  [ "$(dpkg-deb -f "$file" Package)" = "$package" ] || die "$file: wrong Package"
  [ "$(dpkg-deb -f "$file" Version)" = "$version" ] || die "$file: wrong Version"
  [ "$(dpkg-deb -f "$file" Architecture)" = "$(dpkg --print-architecture)" ] || die "$file: wrong Architecture"
  [ -n "$(dpkg-deb -f "$file" Maintainer)" ] || die "$file: no Maintainer"
  dpkg-deb -c "$file" > "$work/contents"
  for path in "$@"; do
    grep -q " $path\$" "$work/contents" || die "$file does not contain $path"
  done
  if grep -q ' \./usr/bin/helpline-agent$' "$work/contents"; then
    grep -q -- '^-rwxr-xr-x root/root .* ./usr/bin/helpline-agent$' "$work/contents" ||
      die "$file: /usr/bin/helpline-agent is not 0755 root"
  fi
  local dir script
  dir=$(mktemp -d "$work/ctrl.XXXXXX")
  dpkg-deb -e "$file" "$dir"
  for script in preinst postinst prerm postrm; do
    if [ -f "$dir/$script" ]; then
      sh -n "$dir/$script" || die "$file: $script does not parse"
    fi
  done
}

run_lintian() {
  local out errors
  out=$(lintian --tag-display-limit 0 "$@" 2>&1) || true
  errors=$(grep -c '^E: ' <<< "$out" || true)
  if grep -q '^[WI]: ' <<< "$out"; then
    say "lintian warnings and notes (allowed):"
    grep '^[WI]: ' <<< "$out" | sed 's/^/  /'
  fi
  if [ "$errors" -ne 0 ]; then
    grep '^E: ' <<< "$out" >&2
    die "lintian reported $errors error(s)"
  fi
  pass "lintian: no errors"
}

check_rpms() {  # DIR
  local dir=$1 rpm_file name
  for name in helpline-agent helpline-relay helpline-cli; do
    rpm_file=$(ls "$dir/$name"-[0-9]*.rpm)
    say "$(basename "$rpm_file"):"
    rpm -qpi "$rpm_file" 2>/dev/null | sed -n '1,12p'
    rpm -qpl "$rpm_file" 2>/dev/null > "$work/rpm.list"
    rpm -qp --scripts "$rpm_file" 2>/dev/null > "$work/rpm.scripts"
    rpm -qp --configfiles "$rpm_file" 2>/dev/null > "$work/rpm.config"
    for owned in /usr /usr/bin /usr/lib /etc /usr/lib/systemd/system /usr/share/doc; do
      if grep -qx "$owned" "$work/rpm.list"; then die "$rpm_file claims the directory $owned"; fi
    done
    case "$name" in
      helpline-agent|helpline-relay)
        local short=${name#helpline-}
        grep -qx "/usr/bin/$name" "$work/rpm.list" || die "$rpm_file lacks /usr/bin/$name"
        grep -qx "/usr/lib/systemd/system/$name.service" "$work/rpm.list" || die "$rpm_file lacks its unit"
        grep -qx "/etc/helpline/$short.env" "$work/rpm.config" || die "$rpm_file: $short.env is not %config"
        for scriptlet in 'postinstall scriptlet' 'preuninstall scriptlet' 'postuninstall scriptlet'; do
          grep -q "^$scriptlet" "$work/rpm.scripts" || die "$rpm_file has no $scriptlet"
        done
        grep -q 'hl_configure' "$work/rpm.scripts" || die "$rpm_file: scriptlets are not Helpline's"
        # Each scriptlet body parses as sh.
        awk '/^[a-z]+ scriptlet/ { n++; next } { print > ("'"$work"'/rpm.scriptlet." n) }' "$work/rpm.scripts"
        for f in "$work"/rpm.scriptlet.*; do sh -n "$f" || die "$rpm_file: a scriptlet does not parse"; done
        rm -f "$work"/rpm.scriptlet.*
        ;;
      helpline-cli) grep -qx /usr/bin/helpline "$work/rpm.list" || die "$rpm_file lacks /usr/bin/helpline" ;;
    esac
  done
  rpm -qp --requires "$dir"/helpline-relay-[0-9]*.rpm 2>/dev/null | grep -q shadow-utils ||
    die "helpline-relay rpm does not require shadow-utils for its user"
  pass "rpm metadata, file lists (no distribution directories claimed), %config and scriptlets"
}

# Runs a unit's ExecStartPre lines, then its ExecStart in the background, as
# its User= with its EnvironmentFile=: what systemd would do, minus the
# sandbox. Only for the simple unit files this project ships (no quoting).
run_unit() {  # UNIT LOG; sets last_pid
  local unit=$1 log=$2 user envfile line
  local envs=() runas=() argv=()
  user=$(sed -n 's/^User=//p' "$unit")
  envfile=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit")
  if [ -n "$envfile" ] && [ -f "$envfile" ]; then
    while IFS= read -r line; do
      case "$line" in ''|'#'*) continue ;; esac
      envs+=("$line")
    done < "$envfile"
  fi
  if [ -n "$user" ]; then
    runas=(setpriv --reuid="$user" --regid="$user" --init-groups --)
  fi
  say "(running $(basename "$unit") by hand: ExecStartPre/ExecStart as ${user:-root})"
  while IFS= read -r line; do
    read -r -a argv <<< "$line"
    "${runas[@]}" env "${envs[@]}" "${argv[@]}" >> "$log" 2>&1 || { cat "$log"; die "ExecStartPre $line failed"; }
  done < <(sed -n 's/^ExecStartPre=//p' "$unit")
  read -r -a argv <<< "$(sed -n 's/^ExecStart=//p' "$unit")"
  "${runas[@]}" env "${envs[@]}" "${argv[@]}" >> "$log" 2>&1 &
  last_pid=$!
  started_pids+=("$last_pid")
}

stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
}

relay_pid() { json_field pid < /var/lib/helpline/relay/listen.json; }

start_relay() {
  if systemd_pid1; then
    systemctl start helpline-relay.service
  else
    run_unit /usr/lib/systemd/system/helpline-relay.service "$work/relay.log"
    relay_manual_pid=$last_pid
  fi
  wait_until 30 "the relay's listen.json" test -f /var/lib/helpline/relay/listen.json
  wait_until 30 "the relay API on port $api_port" port_open "$api_port"
  wait_until 30 "the relay's agent port $agent_port" port_open "$agent_port"
}

stop_relay_unless_systemd() {
  if ! systemd_pid1 && [ -n "$relay_manual_pid" ]; then
    stop_pid "$relay_manual_pid"
    relay_manual_pid=
  fi
}

start_agent() {  # UNIT FILE (the one this install uses)
  if systemd_pid1; then
    systemctl restart helpline-agent.service
  else
    run_unit "$1" "$work/agent.log"
    agent_pid=$last_pid
  fi
}

stop_agent() {
  if systemd_pid1; then
    systemctl stop helpline-agent.service
  elif [ -n "$agent_pid" ]; then
    stop_pid "$agent_pid"
    agent_pid=
  fi
}

stop_agent_unless_systemd() { systemd_pid1 || stop_agent; }

device_id() {
  helpline-agent status --state /var/lib/helpline/agent --json | json_field device_id
}

device_online() { helpline devices show "$1" --json | grep -q '"online": *true'; }

wait_online() { wait_until 30 "device $1 online" device_online "$1"; }
# The relay lists the device as retired (its purge ran helpline-agent retire).
device_retired() { helpline devices show "$1" --json | grep -q '"retired_at": *"[0-9]'; }

# A per-group .sh installer that must fail with `word` in its message and
# leave no trace of the agent.
expect_install_fails() {  # SCRIPT WORD
  if sh "$1" > "$work/fail.log" 2>&1; then
    cat "$work/fail.log"
    die "$(basename "$1") succeeded"
  fi
  cat "$work/fail.log"
  grep -q "$2" "$work/fail.log" || die "$(basename "$1"): no '$2' in its failure"
  for path in /usr/bin/helpline-agent /var/lib/helpline/agent /etc/helpline/enroll.toml \
              /etc/systemd/system/helpline-agent.service /usr/lib/helpline/helpline-agent-enroll; do
    [ ! -e "$path" ] || die "$(basename "$1") failed but left $path"
  done
  pass "$(basename "$1") failed with the relay's reason ('$2') and left the machine clean"
}

cleanup() {
  local status=$?
  set +e
  if [ "$status" -ne 0 ]; then
    say ""
    say "packaging test FAILED (exit $status); logs:"
    for log in "$work"/*.log; do
      [ -f "$log" ] && { say "--- $log"; tail -n 30 "$log"; }
    done
  fi
  say "cleaning up: stopping what this test started, purging its packages"
  if systemd_pid1; then
    systemctl stop helpline-agent.service helpline-relay.service >/dev/null 2>&1
  fi
  for pid in "${started_pids[@]}"; do stop_pid "$pid"; done
  DEBIAN_FRONTEND=noninteractive dpkg --purge helpline-agent-lab helpline-agent helpline-relay \
    helpline-cli >/dev/null 2>&1
  if [ -f /usr/lib/helpline/helpline-agent-install.sh ]; then
    sh /usr/lib/helpline/helpline-agent-install.sh --uninstall --purge >/dev/null 2>&1
  fi
  # The start checks made sure none of these existed before the test.
  rm -rf /var/lib/helpline /etc/helpline /usr/lib/helpline /etc/systemd/system/helpline-agent.service
  if [ "$user_existed" -eq 0 ] && getent passwd helpline >/dev/null; then
    userdel helpline >/dev/null 2>&1
    groupdel helpline >/dev/null 2>&1
  fi
  rm -rf "$work"
  exit "$status"
}
