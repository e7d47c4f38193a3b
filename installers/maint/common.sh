# --- maint/common.sh: shared by every Helpline maintainer script ---------------
# The packaging build concatenates: this file, the package format's service
# functions (debian/service.sh or rpm/service.sh), the package's actions
# (maint/agent.sh or maint/relay.sh) and the format's entry point. The scripts
# never prompt, work with and without systemd as PID 1 (containers, chroots)
# and can run any number of times.

hl_say() { printf '%s: %s\n' "$hl_package" "$*"; }

# systemd is the running init (not merely installed).
hl_systemd_running() { [ -d /run/systemd/system ]; }

# Creates a directory if missing and sets its mode; content is never touched.
hl_dir() {
  mkdir -p "$2"
  chmod "$1" "$2"
}

# Removes a directory if it is empty.
hl_rmdir_if_empty() { rmdir "$1" 2>/dev/null || true; }

# The pids of processes running the executable $1 (also after an upgrade
# replaced it: the kernel then says "$1 (deleted)").
hl_pids_of() {
  hl_found=
  for hl_proc in /proc/[0-9]*; do
    case "$(readlink "$hl_proc/exe" 2>/dev/null)" in
      "$1"|"$1 (deleted)") hl_found="$hl_found ${hl_proc#/proc/}" ;;
    esac
  done
  printf '%s' "${hl_found# }"
}

# Without systemd as PID 1 nothing supervises the daemon: one that runs this
# package's binary $1 (started by hand or by a container's entry point) is
# stopped here, SIGTERM then at most 10 s, then SIGKILL. Matched by
# executable, so the same program run from anywhere else is left alone.
hl_stop_unmanaged() {
  hl_systemd_running && return 0
  hl_pids=$(hl_pids_of "$1")
  [ -n "$hl_pids" ] || return 0
  hl_say "systemd is not running here: stopping $1 (pid $hl_pids) myself"
  # shellcheck disable=SC2086 # a list of pids
  kill -TERM $hl_pids 2>/dev/null || true
  hl_i=0
  while [ "$hl_i" -lt 40 ] && [ -n "$(hl_pids_of "$1")" ]; do
    sleep 0.25
    hl_i=$((hl_i + 1))
  done
  hl_pids=$(hl_pids_of "$1")
  if [ -n "$hl_pids" ]; then
    hl_say "$1 (pid $hl_pids) did not stop within 10 s of SIGTERM: killing it"
    # shellcheck disable=SC2086
    kill -KILL $hl_pids 2>/dev/null || true
  fi
}

# After install or upgrade without systemd as PID 1: what the admin must do.
hl_hint_unmanaged() {  # BINARY HOW-TO-START...
  hl_systemd_running && return 0
  hl_pids=$(hl_pids_of "$1")
  if [ -n "$hl_pids" ]; then
    hl_say "systemd is not running here: pid $hl_pids runs $1 as it was before this install; restart it yourself"
  else
    shift
    hl_say "systemd is not running here: start it yourself: $*"
  fi
}
