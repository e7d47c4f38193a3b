#!/usr/bin/env bash
# Packaging test: package the programs of an already built tree (no compile),
# check the packages, install them into this machine, enroll an agent against
# a relay on 127.0.0.1 and see it online, upgrade with identity kept, remove
# (identity kept, daemon stopped), purge (retired at the relay, state gone);
# the per-group installers, including expired and revoked tokens leaving the
# machine clean; the rpm metadata and scripts. Cleans up on any exit, and
# after a killed run on the next start. One run at a time per machine.
# Where systemd is not PID 1 the units' ExecStartPre/ExecStart lines are run
# by this script (and it says so). See tests/packaging/CMakeLists.txt.
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }
[ "${HELPLINE_PACKAGING_TESTS:-}" = 1 ] || skip "set HELPLINE_PACKAGING_TESTS=1 to run (it installs packages into this machine)"
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v dpkg >/dev/null || skip "needs dpkg"
[ "${HELPLINE_SANITIZE:-OFF}" != ON ] || skip "sanitizer builds are not packaged; the ci preset runs this test"

src=${HELPLINE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${HELPLINE_PACKAGE_BUILD_DIR:-${HELPLINE_BINARY_DIR:-$src/build/ci}}
[[ "$build" = /* ]] || build="$src/$build"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
. "$here/lib.sh"

for tool in dpkg-deb lintian rpm rpmbuild flock setpriv; do
  command -v "$tool" >/dev/null || die "$tool is missing: run ./scripts/deps --package"
done

# --- one run at a time; a killed run's leftovers are ours to undo -----------
exec 9> "$lock_file"
if ! flock -n 9; then
  say "another packaging test runs on this machine: waiting for it (at most 20 min)"
  flock -w 1200 9 || die "the other packaging test still runs after 20 min"
fi
if [ -f "$marker" ]; then
  say "a previous run of this test did not finish (killed?): undoing what it left"
  (set +e; undo_machine)
fi

# --- the machine must start clean: this test owns everything it touches ---
for p in helpline-agent helpline-relay helpline-cli; do
  if installed "$p"; then
    die "package $p is already on this machine; remove it first (this test installs its own)"
  fi
done
for path in /var/lib/helpline /etc/helpline /usr/bin/helpline-agent /usr/bin/helpline-relay \
            /usr/lib/helpline /etc/systemd/system/helpline-agent.service; do
  [ ! -e "$path" ] || die "$path already exists; this test needs a machine without Helpline"
done

work=$(mktemp -d /tmp/helpline-packaging.XXXXXX)
chmod 0700 "$work"
export HELPLINE_CONFIG="$work/cli.toml"
: > "$marker"
getent passwd helpline >/dev/null || remember "user_created=1"
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if systemd_pid1; then
  say "systemd is PID 1: services are started and stopped through systemctl"
else
  say "systemd is NOT PID 1 here ($(ps -o comm= -p 1)): this test runs the units'" \
      "ExecStartPre/ExecStart lines itself, as the unit's User="
fi

# --- 1. packages from the tree ctest built, then the same as a newer version
step "packaging the programs of $build (scripts/package --from-build: no compile)"
"$src/scripts/package" --from-build "$build" --out "$work/v1" --no-deps
version1=$(dpkg-deb -f "$work"/v1/helpline-agent_*.deb Version)
version2="$version1.1"
step "packaging the same programs as version $version2 (the upgrade)"
"$src/scripts/package" --from-build "$build" --out "$work/v2" --version "$version2" \
  --generators DEB --no-deps
deb() { local f; f=$(ls "$work/$1/$2"_*.deb); echo "$f"; }

# --- 2. static checks: contents, metadata, scripts, lintian, rpm ------------
step "checking deb metadata and contents (dpkg-deb -I, -c)"
check_deb "$(deb v1 helpline-agent)" helpline-agent "$version1" \
  ./usr/bin/helpline-agent ./usr/lib/systemd/system/helpline-agent.service \
  ./usr/lib/helpline/helpline-agent-enroll ./etc/helpline/agent.env \
  ./usr/share/doc/helpline-agent/copyright ./usr/share/doc/helpline-agent/changelog.gz
check_deb "$(deb v1 helpline-relay)" helpline-relay "$version1" \
  ./usr/bin/helpline-relay ./usr/lib/systemd/system/helpline-relay.service \
  ./usr/lib/sysusers.d/helpline-relay.conf ./usr/lib/helpline/helpline-relay-firststart \
  ./etc/helpline/relay.env ./usr/share/doc/helpline-relay/copyright
check_deb "$(deb v1 helpline-cli)" helpline-cli "$version1" ./usr/bin/helpline \
  ./usr/share/doc/helpline-cli/copyright
expect_field "$(deb v1 helpline-relay)" Depends adduser
expect_field "$(deb v1 helpline-agent)" Depends 'libc6'
expect_field "$(deb v1 helpline-agent)" Depends 'libssl3'
expect_conffile "$(deb v1 helpline-agent)" /etc/helpline/agent.env
expect_conffile "$(deb v1 helpline-relay)" /etc/helpline/relay.env
if dpkg-deb -c "$(deb v1 helpline-relay)" | grep -q 'helpline-agent$'; then
  die "the relay package carries the agent"
fi
expect_field "$(deb v2 helpline-agent)" Version "$version2"
dpkg-deb --fsys-tarfile "$(deb v1 helpline-agent)" | tar -xO ./usr/bin/helpline-agent > "$work/agent.bin"
file "$work/agent.bin" | grep -q 'ELF .*, stripped$' || die "the packaged agent is not a stripped program"
pass "deb metadata, contents, conffiles and maintainer scripts; binaries stripped"

step "lintian"
run_lintian "$work"/v1/*.deb

step "checking the agent tarball"
tgz=$(ls "$work"/v1/helpline-agent-*.tar.gz)
tar -tzvf "$tgz" > "$work/tgz.list"
for f in install.sh usr/bin/helpline-agent usr/lib/systemd/system/helpline-agent.service \
         usr/lib/helpline/helpline-agent-enroll etc/helpline/agent.env; do
  grep -q " [^ /]*/$f\$" "$work/tgz.list" || die "the tarball lacks $f"
done
grep -q '^-rwxr-xr-x .* [^ /]*/install.sh$' "$work/tgz.list" || die "install.sh is not executable"
if grep -q 'helpline-relay' "$work/tgz.list"; then die "the agent tarball carries the relay"; fi
pass "tarball $(basename "$tgz")"

step "checking the rpms (rpm -qp: metadata, files, --scripts)"
check_rpms "$work/v1"

# --- 3. the relay package -----------------------------------------------------
step "installing helpline-relay and helpline-cli (listeners on 127.0.0.1, port 0)"
# An admin's config put in place before the package (config management does
# this); --force-confold keeps it without a prompt.
mkdir -p /etc/helpline
printf 'HELPLINE_RELAY_AGENT_LISTEN=127.0.0.1:0\nHELPLINE_RELAY_API_LISTEN=127.0.0.1:0\n' \
  > /etc/helpline/relay.env
dpkg_do -i "$(deb v1 helpline-relay)" "$(deb v1 helpline-cli)" | tee "$work/relay-install.out"
getent passwd helpline >/dev/null || die "postinst did not create the user helpline"
[ "$(getent passwd helpline | cut -d: -f7)" = /usr/sbin/nologin ] || die "the helpline user has a login shell"
expect_mode /var/lib/helpline/relay 700 helpline
check_unit /usr/lib/systemd/system/helpline-relay.service
systemd_pid1 || grep -q 'systemd is not running here' "$work/relay-install.out" ||
  die "postinst did not say how to start the relay without systemd"
start_relay
[ -f /var/lib/helpline/relay/init.json ] || die "first start did not write init.json"
expect_mode /var/lib/helpline/relay/init.json 600 helpline
expect_mode /var/lib/helpline/relay/ca.key 600 helpline
relay_user=$(ps -o user= -p "$(relay_listen pid)")
[ "$relay_user" = helpline ] || die "the relay runs as $relay_user, not helpline"
# The kernel chose the ports; keep them for the restarts to come, as an
# admin would write them in relay.toml.
keep_ports /var/lib/helpline/relay/relay.toml
pass "relay installed, initialised on first start (agent port $agent_port, API $api_port), running as helpline"

# Idempotent: configuring again keeps the user, the data and the running relay.
user_before=$(getent passwd helpline)
/var/lib/dpkg/info/helpline-relay.postinst configure "$version1" < /dev/null > /dev/null
[ "$(getent passwd helpline)" = "$user_before" ] || die "a second postinst changed the helpline user"
wait_until 30 "the relay after a second postinst" relay_listening

pin=$(json_field ca_pin < /var/lib/helpline/relay/init.json)
HELPLINE_PASSWORD=$(json_field admin_password < /var/lib/helpline/relay/init.json) \
  helpline login --url "https://127.0.0.1:$api_port" --ca-pin "$pin" --user admin >/dev/null
helpline status
helpline admin keygen --out "$work/org" >/dev/null
org_key_id=$(helpline admin set-org-key "$work/org/org.pub" --json | json_field key_id)
pass "CLI logged in to the packaged relay; organisation key $org_key_id set"

installer() {  # FORMAT OUT [ARGS...]: prints the --json answer
  local format=$1 out=$2
  shift 2
  local args=(admin installer --group lab --format "$format" --relay "127.0.0.1:$agent_port"
              --out "$out" --json "$@")
  [ "$format" != sh ] || args+=(--agent-package "$tgz")
  helpline "${args[@]}"
}

# --- 4. per-group .sh installers: failures leave the machine clean ----------
step "sh installer with an expired token"
expires=$(installer sh "$work/expired.sh" --expires 1s --uses 5 | json_field expires_at)
wait_until 10 "the token to expire ($expires)" expired "$expires"
expect_install_fails "$work/expired.sh" expired
step "sh installer with a revoked token"
token_id=$(installer sh "$work/revoked.sh" | json_field token_id)
helpline enroll-token revoke "$token_id"
expect_install_fails "$work/revoked.sh" revoked

step "sh installer that works"
answer=$(installer sh "$work/lab.sh")
[ "$(json_field org_key <<< "$answer")" = "$org_key_id" ] || die "the installer carries no catalog key"
expect_mode "$work/lab.sh" 600 root
sh "$work/lab.sh" > "$work/lab-sh.log" 2>&1 || { cat "$work/lab-sh.log"; die "the sh installer failed"; }
cat "$work/lab-sh.log"
expect_mode /etc/helpline/enroll.toml 600 root
expect_mode /var/lib/helpline/agent 700 root
grep -qx "key_id = \"$org_key_id\"" /var/lib/helpline/agent/catalog/org_key.toml ||
  die "the sh installer did not pin the organisation key"
grep -qx 'source = "installer"' /var/lib/helpline/agent/catalog/org_key.toml ||
  die "the pinned key does not say the installer pinned it"
device=$(device_id)
start_agent /etc/systemd/system/helpline-agent.service
wait_online "$device"
pass "sh installer: installed, enrolled as $device with the catalog key pinned, online"
stop_agent
sh /usr/lib/helpline/helpline-agent-install.sh --uninstall --purge
expect_no_agent "install.sh --uninstall --purge"
device_retired "$device" || die "install.sh --uninstall --purge did not retire $device"
pass "tarball install.sh --uninstall --purge retired $device and leaves nothing behind"

# --- 5. the agent package and a group package ---------------------------------
step "installing helpline-agent $version1"
dpkg_do -i "$(deb v1 helpline-agent)"
expect_mode /var/lib/helpline/agent 700 root
expect_mode /var/lib/helpline 755 root
[ -z "$(ls -A /var/lib/helpline/agent)" ] || die "a fresh agent package left files in its state dir"
check_unit /usr/lib/systemd/system/helpline-agent.service
# Idempotent: configuring again changes nothing and asks nothing.
/var/lib/dpkg/info/helpline-agent.postinst configure "" < /dev/null
[ -z "$(ls -A /var/lib/helpline/agent)" ] || die "a second postinst changed the state dir"
pass "agent package installed, not enrolled, state dir 0700; postinst runs again unchanged"

expect_group_deb_fails() {  # DEB WORD
  if dpkg_do -i "$1" > "$work/group-fail.log" 2>&1; then
    cat "$work/group-fail.log"
    die "installing $(basename "$1") succeeded"
  fi
  cat "$work/group-fail.log"
  grep -q "$2" "$work/group-fail.log" || die "no '$2' in the failure of $(basename "$1")"
  if installed helpline-agent-lab; then
    die "a refused group deb stays installed ($(dpkg-query -W -f='${db:Status-Abbrev}' helpline-agent-lab))"
  fi
  [ ! -e /etc/helpline/enroll.toml ] || die "a refused group deb left /etc/helpline/enroll.toml"
  [ -z "$(ls -A /var/lib/helpline/agent)" ] || die "a refused group deb left files in the state dir"
  pass "$(basename "$1") fails with the relay's reason ('$2'); not installed, nothing enrolled"
}
step "group deb with an expired token"
expires=$(installer deb "$work/expired.deb" --expires 1s | json_field expires_at)
wait_until 10 "the token to expire ($expires)" expired "$expires"
expect_group_deb_fails "$work/expired.deb" expired
step "group deb with a revoked token"
token_id=$(installer deb "$work/revoked.deb" | json_field token_id)
helpline enroll-token revoke "$token_id"
expect_group_deb_fails "$work/revoked.deb" revoked

step "group deb (helpline-agent-lab)"
installer deb "$work/lab.deb" >/dev/null
expect_field "$work/lab.deb" Pre-Depends helpline-agent
expect_conffile "$work/lab.deb" /etc/helpline/enroll.toml
dpkg-deb -c "$work/lab.deb" | grep -q -- '-rw------- root/root .* ./etc/helpline/enroll.toml$' ||
  die "enroll.toml is not 0600 root in the group deb"
dpkg_do -i "$work/lab.deb"
device=$(device_id)
grep -qx "key_id = \"$org_key_id\"" /var/lib/helpline/agent/catalog/org_key.toml ||
  die "the group deb did not pin the organisation key"
start_agent /usr/lib/systemd/system/helpline-agent.service
wait_online "$device"
pass "group deb enrolled the machine as $device, pinned $org_key_id; online"

step "group rpm (metadata and scripts: rpm does not install on Debian)"
installer rpm "$work/lab.rpm" >/dev/null
rpm -qpi "$work/lab.rpm" 2>/dev/null | sed 's/^/  /'
rpm -qplv "$work/lab.rpm" 2>/dev/null | grep -q -- '^-rw------- .* root .* root .* /etc/helpline/enroll.toml$' ||
  die "the group rpm does not carry /etc/helpline/enroll.toml as 0600 root"
rpm -qp --configfiles "$work/lab.rpm" 2>/dev/null | grep -qx /etc/helpline/enroll.toml ||
  die "enroll.toml is not %config in the group rpm"
rpm -qp --requires "$work/lab.rpm" 2>/dev/null | grep -q '^helpline-agent >= ' ||
  die "the group rpm does not require helpline-agent"
rpm -qp --scripts "$work/lab.rpm" 2>/dev/null > "$work/lab-rpm.scripts"
grep -q '^preinstall scriptlet' "$work/lab-rpm.scripts" || die "the group rpm has no %pre"
grep -q 'helpline-agent-enroll --config "$hl_work/enroll.toml" --no-start' "$work/lab-rpm.scripts" ||
  die "the group rpm's %pre does not enroll"
grep -q "^org_key_id = \"$org_key_id\"" "$work/lab-rpm.scripts" || die "the group rpm carries no catalog key"
pass "group rpm: requires helpline-agent, 0600 %config enroll.toml, %pre enrolls with the catalog key"

# --- 6. upgrade, with both daemons running -----------------------------------------
step "upgrading every package to $version2 while the relay and the agent run"
echo "# kept across upgrades (test $$)" >> /etc/helpline/agent.env
identity_sum() {
  (cd /var/lib/helpline/agent && find . -path ./status.json -prune -o -type f -print0 | sort -z |
     xargs -0 sha256sum)
}
identity_sum > "$work/identity.before"
old_agent=$agent_pid old_relay=$relay_pid
dpkg_do -i "$(deb v2 helpline-relay)" "$(deb v2 helpline-cli)" "$(deb v2 helpline-agent)" \
  | tee "$work/upgrade.out"
if systemd_pid1; then
  say "(systemd restarted the services)"
else
  grep -q "pid $old_relay runs /usr/bin/helpline-relay as it was before" "$work/upgrade.out" ||
    die "the relay's postinst did not say its unsupervised relay needs a restart"
  grep -q "pid $old_agent runs /usr/bin/helpline-agent as it was before" "$work/upgrade.out" ||
    die "the agent's postinst did not say its unsupervised agent needs a restart"
  say "(systemd is not PID 1: restarting the relay and the agent the way the units would)"
  stop_agent
  stop_relay
  start_relay
  start_agent /usr/lib/systemd/system/helpline-agent.service
fi
[ "$(dpkg-query -W -f='${Version}' helpline-agent)" = "$version2" ] || die "agent not upgraded"
[ "$(dpkg-query -W -f='${Version}' helpline-relay)" = "$version2" ] || die "relay not upgraded"
identity_sum > "$work/identity.after"
diff "$work/identity.before" "$work/identity.after" || die "the upgrade changed the agent's state"
grep -q "kept across upgrades (test $$)" /etc/helpline/agent.env || die "the upgrade replaced agent.env"
[ "$(device_id)" = "$device" ] || die "the upgrade changed the device id"
[ "$(json_field ca_pin < /var/lib/helpline/relay/init.json)" = "$pin" ] || die "relay CA changed"
wait_online "$device"
pass "upgrade kept identity, pinned key, spool and agent.env ($device) and the relay's CA and database; online again"

# --- 7. remove, then purge -------------------------------------------------------
step "removing helpline-agent (and the group package) while the agent runs"
dpkg_do -r helpline-agent-lab helpline-agent
expect_stopped helpline-agent.service "$agent_pid"
agent_pid=
[ ! -e /usr/bin/helpline-agent ] || die "remove left the binary"
[ -f /var/lib/helpline/agent/agent.toml ] || die "remove deleted the identity"
[ -f /var/lib/helpline/agent/key.pem ] || die "remove deleted the key"
[ -f /etc/helpline/enroll.toml ] || die "remove deleted a conffile (enroll.toml)"
pass "remove stopped the agent and kept the identity"

step "purging helpline-agent"
dpkg_do -P helpline-agent-lab helpline-agent > "$work/purge.log" 2>&1 || { cat "$work/purge.log"; die "purge failed"; }
cat "$work/purge.log"
grep -q "retired $device" "$work/purge.log" || die "purge did not retire $device"
device_retired "$device" || die "the relay does not list $device as retired"
for path in /var/lib/helpline/agent /etc/helpline/enroll.toml /etc/helpline/agent.env; do
  [ ! -e "$path" ] || die "purge left $path"
done
pass "purge retired $device at the relay and deleted the identity, state and enrollment"

step "removing and purging helpline-relay and helpline-cli while the relay runs"
dpkg_do -r helpline-relay helpline-cli
expect_stopped helpline-relay.service "$relay_pid"
relay_pid=
[ -f /var/lib/helpline/relay/relay.toml ] || die "remove deleted the relay's data"
dpkg_do -P helpline-relay helpline-cli
[ -f /var/lib/helpline/relay/ca.key ] || die "purge deleted the relay's CA (it must be kept)"
[ ! -e /usr/bin/helpline-relay ] || die "purge left the relay binary"
[ ! -e /etc/helpline/relay.env ] || die "purge left relay.env"
pass "relay remove stopped it; purge: binaries and config gone, CA and database kept by design"

step "done"
say "ALL PACKAGING CHECKS PASSED"
