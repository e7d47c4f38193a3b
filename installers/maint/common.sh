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
