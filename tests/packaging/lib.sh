# shellcheck shell=bash
# Helpers for packaging_test.sh (sourced). Every wait is bounded. Everything
# this test puts on the machine is undone by cleanup(), also after a run that
# was killed: the marker file records what the run started and created.

agent_pid=
relay_pid=
started_at=$(date +%s)
step_started_at=$started_at
# Machine-wide: one run at a time (the packages and paths are global), and
# what a killed run left behind.
lock_file=/run/lock/helpline-packaging-test.lock
marker=/var/tmp/helpline-packaging-test.marker

say() { printf '%s\n' "$*"; }
step() {  # prints how long the previous step took, then this one's title
  local now
  now=$(date +%s)
  printf -- '-- %s s\n\n== %s\n' "$((now - step_started_at))" "$*"
  step_started_at=$now
}
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

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The value of "NAME" in the one-line JSON object on stdin (string or number).
json_field() {
  sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" | head -n 1
}

port_of() { sed -n 's/.*:\([0-9]*\)$/\1/p' <<< "$1"; }

# dpkg, never asking; waits (at most a minute) while another dpkg or apt on
# this machine holds dpkg's lock instead of failing on it.
dpkg_do() {
  local err status
  err=$(mktemp /tmp/helpline-packaging-dpkg.XXXXXX)
  for _ in $(seq 1 120); do
    status=0
    DEBIAN_FRONTEND=noninteractive dpkg --force-confold "$@" 2> "$err" || status=$?
    if [ "$status" -eq 0 ] || ! grep -q 'locked by another process' "$err"; then
      break
    fi
    sleep 0.5
  done
  cat "$err" >&2
  rm -f "$err"
  return "$status"
}

installed() {  # PACKAGE: dpkg knows it in any state but "not-installed"
  dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qv '^not-installed$'
}

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

# dpkg-deb -I and -c, the listed paths, maintainer scripts that parse.
check_deb() {  # DEB PACKAGE VERSION PATH...
  local file=$1 package=$2 version=$3
  shift 3
  say "dpkg-deb -I $(basename "$file"):"
  dpkg-deb -I "$file" | sed 's/^/  /'
  [ "$(dpkg-deb -f "$file" Package)" = "$package" ] || die "$file: wrong Package"
  [ "$(dpkg-deb -f "$file" Version)" = "$version" ] || die "$file: wrong Version"
  [ "$(dpkg-deb -f "$file" Architecture)" = "$(dpkg --print-architecture)" ] || die "$file: wrong Architecture"
  [ -n "$(dpkg-deb -f "$file" Maintainer)" ] || die "$file: no Maintainer"
  dpkg-deb -c "$file" > "$work/contents"
  say "dpkg-deb -c $(basename "$file"):"
  sed 's/^/  /' "$work/contents"
  for path in "$@"; do
    grep -q " $path\$" "$work/contents" || die "$file does not contain $path"
  done
  if grep -v -e ' \./$' -e ' \./usr/' -e ' \./etc/' "$work/contents" | grep -q .; then
    die "$file installs outside /usr and /etc"
  fi
  if grep -q -e ' \./var/' -e ' \./usr/local/' "$work/contents"; then
    die "$file ships files in /var or /usr/local (state is made by the scripts)"
  fi
  local binary
  for binary in helpline-agent helpline-relay helpline; do
    if grep -q " \./usr/bin/$binary\$" "$work/contents"; then
      grep -q -- "^-rwxr-xr-x root/root .* ./usr/bin/$binary\$" "$work/contents" ||
        die "$file: /usr/bin/$binary is not 0755 root"
    fi
  done
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
  if grep -q '^[WIP]: ' <<< "$out"; then
    say "lintian warnings and notes (allowed):"
    grep '^[WIP]: ' <<< "$out" | sed 's/^/  /'
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
    say "rpm -qpi $(basename "$rpm_file"):"
    rpm -qpi "$rpm_file" 2>/dev/null | sed 's/^/  /'
    rpm -qpl "$rpm_file" 2>/dev/null > "$work/rpm.list"
    rpm -qp --scripts "$rpm_file" 2>/dev/null > "$work/rpm.scripts"
    rpm -qp --configfiles "$rpm_file" 2>/dev/null > "$work/rpm.config"
    [ "$(rpm -qp --qf '%{NAME}' "$rpm_file" 2>/dev/null)" = "$name" ] || die "$rpm_file: wrong Name"
    [ "$(rpm -qp --qf '%{VERSION}' "$rpm_file" 2>/dev/null)" = "$version1" ] || die "$rpm_file: wrong Version"
    for owned in /usr /usr/bin /usr/lib /etc /usr/lib/systemd/system /usr/share/doc; do
      if grep -qx "$owned" "$work/rpm.list"; then die "$rpm_file claims the directory $owned"; fi
    done
    case "$name" in
      helpline-agent|helpline-relay)
        local short=${name#helpline-}
        grep -qx "/usr/bin/$name" "$work/rpm.list" || die "$rpm_file lacks /usr/bin/$name"
        grep -qx "/usr/lib/systemd/system/$name.service" "$work/rpm.list" || die "$rpm_file lacks its unit"
        grep -qx "/etc/helpline/$short.env" "$work/rpm.config" || die "$rpm_file: $short.env is not %config"
        say "rpm -qp --scripts $(basename "$rpm_file"): $(grep -c '' "$work/rpm.scripts") lines"
        for scriptlet in 'postinstall scriptlet' 'preuninstall scriptlet' 'postuninstall scriptlet'; do
          grep -q "^$scriptlet" "$work/rpm.scripts" || die "$rpm_file has no $scriptlet"
        done
        grep -q 'hl_configure' "$work/rpm.scripts" || die "$rpm_file: scriptlets are not Helpline's"
        grep -q 'systemctl --no-reload preset' "$work/rpm.scripts" || die "$rpm_file: no systemd preset"
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

# systemd-analyze verify (the unit parses, its programs exist) and the
# exposure score of its sandbox, where systemd's tools are installed.
check_unit() {  # UNIT_FILE
  if ! command -v systemd-analyze >/dev/null; then
    say "(systemd-analyze is not installed: $(basename "$1") not verified)"
    return 0
  fi
  systemd-analyze verify --man=no "$1" || die "systemd-analyze verify $1 failed"
  say "$(systemd-analyze security --offline=true "$1" 2>/dev/null | tail -n 1)"
  pass "systemd-analyze verify $(basename "$1")"
}

# --- what this run started and created, for cleanup (also after a kill) ---

remember() { printf '%s\n' "$*" >> "$marker"; }

# Runs a unit's ExecStartPre lines, then its ExecStart in the background, as
# its User= with its EnvironmentFile=: what systemd would do, minus the
# sandbox. Only for the simple unit files this project ships (no quoting).
# The lock's descriptor is not passed on: a daemon must not hold it.
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
  say "(systemd is not PID 1: running $(basename "$unit")'s ExecStartPre/ExecStart myself, as ${user:-root})"
  while IFS= read -r line; do
    read -r -a argv <<< "$line"
    "${runas[@]}" env "${envs[@]}" "${argv[@]}" >> "$log" 2>&1 9>&- ||
      { cat "$log"; die "ExecStartPre $line failed"; }
  done < <(sed -n 's/^ExecStartPre=//p' "$unit")
  read -r -a argv <<< "$(sed -n 's/^ExecStart=//p' "$unit")"
  "${runas[@]}" env "${envs[@]}" "${argv[@]}" >> "$log" 2>&1 9>&- &
  last_pid=$!
  remember "pid=$last_pid"
}

# A process this run started, still running the installed program (so a
# recycled pid is never signalled).
ours() {  # PID
  case "$(readlink "/proc/$1/exe" 2>/dev/null)" in
    /usr/bin/helpline-agent*|/usr/bin/helpline-relay*) return 0 ;;
  esac
  return 1
}

stop_pid() {
  local pid=$1
  ours "$pid" || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 40); do
    ours "$pid" || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null
}

# Gone, or a zombie waiting for this shell: the package's prerm stopped it.
stopped_by_package() {  # PID
  local status
  status=$(ps -o stat= -p "$1" 2>/dev/null || true)
  if [ -z "$status" ] || [[ "$status" == Z* ]]; then
    wait "$1" 2>/dev/null
    return 0
  fi
  return 1
}

relay_listen() { json_field "$1" < /var/lib/helpline/relay/listen.json; }
relay_listening() {
  [ -f /var/lib/helpline/relay/listen.json ] || return 1
  local pid
  pid=$(relay_listen pid)
  [ -n "$pid" ] && ours "$pid"
}

start_relay() {
  if systemd_pid1; then
    systemctl start helpline-relay.service
  else
    run_unit /usr/lib/systemd/system/helpline-relay.service "$work/relay.log"
    relay_pid=$last_pid
  fi
  wait_until 30 "the relay's listen.json" relay_listening
  agent_port=$(port_of "$(relay_listen agent_listen)")
  api_port=$(port_of "$(relay_listen api_listen)")
  wait_until 30 "the relay API on port $api_port" port_open "$api_port"
  wait_until 30 "the relay's agent port $agent_port" port_open "$agent_port"
}

# Writes the ports the kernel chose into relay.toml ([agent] and [api]
# listen), so that restarts keep them. Owner and mode stay.
keep_ports() {  # RELAY_TOML
  awk -v agent="$agent_port" -v api="$api_port" '
    /^\[/ { section = $0 }
    /^listen *=/ && section == "[agent]" { $0 = "listen = \"127.0.0.1:" agent "\"" }
    /^listen *=/ && section == "[api]" { $0 = "listen = \"127.0.0.1:" api "\"" }
    { print }' "$1" > "$work/relay.toml"
  cat "$work/relay.toml" > "$1"
  grep -qx "listen = \"127.0.0.1:$agent_port\"" "$1" || die "cannot keep the agent port in $1"
  grep -qx "listen = \"127.0.0.1:$api_port\"" "$1" || die "cannot keep the API port in $1"
}

# Stops a service: through systemctl, or the process run_unit started,
# whose pid is in the variable named PIDVAR (then emptied).
stop_service() {  # UNIT PIDVAR
  if systemd_pid1; then
    systemctl stop "$1"
  elif [ -n "${!2}" ]; then
    stop_pid "${!2}"
    printf -v "$2" '%s' ''
  fi
}
stop_relay() { stop_service helpline-relay.service relay_pid; }

start_agent() {  # UNIT FILE (the one this install uses)
  if systemd_pid1; then
    systemctl restart helpline-agent.service
  else
    run_unit "$1" "$work/agent.log"
    agent_pid=$last_pid
  fi
}

stop_agent() { stop_service helpline-agent.service agent_pid; }

# After a package removal: its prerm must have stopped the daemon.
expect_stopped() {  # UNIT PID
  if systemd_pid1; then
    ! systemctl --quiet is-active "$1" || die "removing the package left $1 running"
  elif [ -n "$2" ]; then
    stopped_by_package "$2" || die "removing the package left $1 (pid $2) running"
  fi
}

device_id() {
  helpline-agent status --state /var/lib/helpline/agent --json | json_field device_id
}

device_online() { helpline devices show "$1" --json | grep -q '"online": *true'; }

wait_online() { wait_until 30 "device $1 online" device_online "$1"; }
# The relay lists the device as retired (its purge ran helpline-agent retire).
device_retired() { helpline devices show "$1" --json | grep -q '"retired_at": *"[0-9]'; }

# The machine holds nothing of the agent, as before an installer ran.
expect_no_agent() {  # WHAT
  local path
  for path in /usr/bin/helpline-agent /var/lib/helpline/agent /etc/helpline/enroll.toml \
              /etc/systemd/system/helpline-agent.service /usr/lib/helpline/helpline-agent-enroll; do
    [ ! -e "$path" ] || die "$1 left $path"
  done
}

# A token's expiry (RFC 3339) is in the past by the relay's clock (the same).
expired() { [ "$(date -u +%s)" -gt "$(date -u -d "$1" +%s)" ]; }

# A per-group .sh installer that must fail with `word` in its message and
# leave no trace of the agent.
expect_install_fails() {  # SCRIPT WORD
  if sh "$1" > "$work/fail.log" 2>&1; then
    cat "$work/fail.log"
    die "$(basename "$1") succeeded"
  fi
  cat "$work/fail.log"
  grep -q "$2" "$work/fail.log" || die "$(basename "$1"): no '$2' in its failure"
  expect_no_agent "$(basename "$1") failed but"
  pass "$(basename "$1") failed with the relay's reason ('$2') and left the machine clean"
}

# Puts the machine back as it was: stops what a run started (this one, or
# one that was killed: the marker says what it did), purges the packages,
# deletes what they and the installers made. The start checks made sure
# none of it existed before the first run.
undo_machine() {
  local line pid user_created=0
  if [ -f "$marker" ]; then
    while IFS= read -r line; do
      case "$line" in
        pid=*) pid=${line#pid=}; stop_pid "$pid" ;;
        user_created=1) user_created=1 ;;
      esac
    done < "$marker"
  fi
  if systemd_pid1; then
    systemctl stop helpline-agent.service helpline-relay.service >/dev/null 2>&1
  fi
  local packages=()
  for p in $(dpkg-query -W -f='${Package}\n' 'helpline-agent*' 'helpline-relay' 'helpline-cli' 2>/dev/null); do
    installed "$p" && packages+=("$p")
  done
  if [ ${#packages[@]} -gt 0 ]; then
    dpkg_do --purge "${packages[@]}" >/dev/null 2>&1
  fi
  if [ -f /usr/lib/helpline/helpline-agent-install.sh ]; then
    sh /usr/lib/helpline/helpline-agent-install.sh --uninstall --purge >/dev/null 2>&1
  fi
  rm -rf /var/lib/helpline /etc/helpline /usr/lib/helpline /etc/systemd/system/helpline-agent.service
  rmdir /run/helpline 2>/dev/null
  if [ "$user_created" -eq 1 ] && getent passwd helpline >/dev/null; then
    userdel helpline >/dev/null 2>&1
    getent group helpline >/dev/null && groupdel helpline >/dev/null 2>&1
  fi
  rm -f "$marker"
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
  undo_machine
  rm -rf "$work"
  say "packaging test took $(($(date +%s) - started_at)) s"
  exit "$status"
}
