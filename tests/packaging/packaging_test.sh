#!/usr/bin/env bash
# Packaging test: build the packages, check them, install them into this
# machine, enroll an agent against a relay on 127.0.0.1 and see it online,
# upgrade with identity kept, remove (identity kept), purge (state gone); the
# per-group installers, including expired and revoked tokens leaving the
# machine clean; the rpm metadata and scripts. Cleans up on any exit.
# Where systemd is not PID 1 the units' ExecStartPre/ExecStart lines are run
# by this script (and it says so). See tests/packaging/CMakeLists.txt.
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }
[ "${HELPLINE_PACKAGING_TESTS:-}" = 1 ] || skip "set HELPLINE_PACKAGING_TESTS=1 to run (it installs packages into this machine)"
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v dpkg >/dev/null || skip "needs dpkg"

src=${HELPLINE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${HELPLINE_PACKAGE_BUILD_DIR:-$src/build/package}
[[ "$build" = /* ]] || build="$src/$build"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
. "$here/lib.sh"

# --- the machine must start clean: this test owns everything it touches ---
for p in helpline-agent helpline-relay helpline-cli; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -Eq 'ok installed|config-files|half-|unpacked'; then
    die "package $p is already on this machine; remove it first (this test installs its own)"
  fi
done
for path in /var/lib/helpline /etc/helpline /usr/bin/helpline-agent /usr/lib/helpline; do
  [ ! -e "$path" ] || die "$path already exists; this test needs a machine without Helpline"
done
user_existed=0
getent passwd helpline >/dev/null && user_existed=1

work=$(mktemp -d /tmp/helpline-packaging.XXXXXX)
chmod 0700 "$work"
export HELPLINE_CONFIG="$work/cli.toml"
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if systemd_pid1; then
  say "systemd is PID 1: services are started and stopped through systemctl"
else
  say "systemd is NOT PID 1 here: this test runs the units' ExecStartPre/ExecStart lines itself"
fi

# --- 1. build: the packages, then the same with a newer version -------------
step "building the packages (scripts/package, build dir $build)"
"$src/scripts/package" --build-dir "$build" --out "$work/v1"
version1=$(dpkg-deb -f "$work"/v1/helpline-agent_*.deb Version)
version2="$version1.1"
step "building the upgrade packages (version $version2)"
"$src/scripts/package" --build-dir "$build" --out "$work/v2" --version "$version2" --no-deps
deb() { local f; f=$(ls "$work/$1/$2"_*.deb); echo "$f"; }

# --- 2. static checks: contents, metadata, scripts, lintian, rpm ------------
step "checking deb metadata and contents"
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
expect_conffile "$(deb v1 helpline-agent)" /etc/helpline/agent.env
expect_conffile "$(deb v1 helpline-relay)" /etc/helpline/relay.env
dpkg-deb -c "$(deb v1 helpline-relay)" | grep -q 'helpline-agent$' &&
  die "the relay package carries the agent"
expect_field "$(deb v2 helpline-agent)" Version "$version2"
pass "deb metadata, contents, conffiles and maintainer scripts"

step "lintian"
run_lintian "$work"/v1/*.deb

step "checking the agent tarball"
tgz=$(ls "$work"/v1/helpline-agent-*.tar.gz)
tar -tzf "$tgz" > "$work/tgz.list"
for f in install.sh usr/bin/helpline-agent usr/lib/systemd/system/helpline-agent.service \
         usr/lib/helpline/helpline-agent-enroll etc/helpline/agent.env; do
  grep -q "^[^/]*/$f\$" "$work/tgz.list" || die "the tarball lacks $f"
done
if grep -q 'helpline-relay' "$work/tgz.list"; then die "the agent tarball carries the relay"; fi
pass "tarball $(basename "$tgz")"

step "checking the rpms (rpm -qp)"
check_rpms "$work/v1"

# --- 3. the relay package ---------------------------------------------------
agent_port=$(free_port)
api_port=$(free_port)
step "installing helpline-relay and helpline-cli (relay on 127.0.0.1:$agent_port, API 127.0.0.1:$api_port)"
# An admin's config put in place before the package (config management does
# this); --force-confold keeps it without a prompt.
mkdir -p /etc/helpline
printf 'HELPLINE_RELAY_AGENT_LISTEN=127.0.0.1:%s\nHELPLINE_RELAY_API_LISTEN=127.0.0.1:%s\n' \
  "$agent_port" "$api_port" > /etc/helpline/relay.env
dpkg_do -i "$(deb v1 helpline-relay)" "$(deb v1 helpline-cli)"
getent passwd helpline >/dev/null || die "postinst did not create the user helpline"
expect_mode /var/lib/helpline/relay 700 helpline
start_relay
[ -f /var/lib/helpline/relay/init.json ] || die "first start did not write init.json"
expect_mode /var/lib/helpline/relay/init.json 600 helpline
relay_user=$(ps -o user= -p "$(relay_pid)")
[ "$relay_user" = helpline ] || die "the relay runs as $relay_user, not helpline"
pass "relay installed, initialised on first start, running as helpline"

pin=$(json_field ca_pin < /var/lib/helpline/relay/init.json)
HELPLINE_PASSWORD=$(json_field admin_password < /var/lib/helpline/relay/init.json) \
  helpline login --url "https://127.0.0.1:$api_port" --ca-pin "$pin" --user admin >/dev/null
helpline status
pass "CLI logged in to the packaged relay"

# --- 4. per-group installers: failures leave the machine clean -------------
step "sh installer with an expired token"
helpline admin installer --group lab --format sh --relay "127.0.0.1:$agent_port" \
  --expires 1s --uses 5 --agent-package "$tgz" --out "$work/expired.sh"
sleep 2
expect_install_fails "$work/expired.sh" expired
step "sh installer with a revoked token"
token_id=$(helpline admin installer --group lab --format sh --relay "127.0.0.1:$agent_port" \
  --agent-package "$tgz" --out "$work/revoked.sh" --json | json_field token_id)
helpline enroll-token revoke "$token_id"
expect_install_fails "$work/revoked.sh" revoked

step "sh installer that works"
helpline admin installer --group lab --format sh --relay "127.0.0.1:$agent_port" \
  --agent-package "$tgz" --out "$work/lab.sh" >/dev/null
expect_mode "$work/lab.sh" 600 root
sh "$work/lab.sh" > "$work/lab-sh.log" 2>&1 || { cat "$work/lab-sh.log"; die "the sh installer failed"; }
expect_mode /etc/helpline/enroll.toml 600 root
device=$(device_id)
start_agent /etc/systemd/system/helpline-agent.service
wait_online "$device"
pass "sh installer: installed, enrolled as $device, online"
stop_agent
sh /usr/lib/helpline/helpline-agent-install.sh --uninstall --purge
for path in /usr/bin/helpline-agent /var/lib/helpline/agent /etc/helpline/enroll.toml \
            /etc/systemd/system/helpline-agent.service; do
  [ ! -e "$path" ] || die "install.sh --uninstall --purge left $path"
done
device_retired "$device" || die "install.sh --uninstall --purge did not retire $device"
pass "tarball install.sh --uninstall --purge retired $device and leaves nothing behind"

# --- 5. the agent package and a group package ---------------------------------
step "installing helpline-agent $version1"
dpkg_do -i "$(deb v1 helpline-agent)"
expect_mode /var/lib/helpline/agent 700 root
[ ! -e /var/lib/helpline/agent/agent.toml ] || die "a fresh agent package is enrolled?"
pass "agent package installed, not enrolled, state dir 0700"

step "group deb with an expired token"
helpline admin installer --group lab --format deb --relay "127.0.0.1:$agent_port" \
  --expires 1s --out "$work/expired.deb" >/dev/null
sleep 2
if dpkg_do -i "$work/expired.deb" > "$work/expired-deb.log" 2>&1; then
  die "installing a group deb with an expired token succeeded"
fi
grep -q expired "$work/expired-deb.log" || { cat "$work/expired-deb.log"; die "no 'expired' in the failure"; }
[ -z "$(ls -A /var/lib/helpline/agent)" ] || die "a failed enrollment left files in the state dir"
dpkg --purge helpline-agent-lab >/dev/null
pass "group deb with an expired token fails with the relay's reason; state dir untouched"

step "group deb (helpline-agent-lab)"
helpline admin installer --group lab --format deb --relay "127.0.0.1:$agent_port" \
  --out "$work/lab.deb" >/dev/null
expect_field "$work/lab.deb" Depends helpline-agent
dpkg-deb -c "$work/lab.deb" | grep -q -- '-rw------- root/root .* ./etc/helpline/enroll.toml$' ||
  die "enroll.toml is not 0600 root in the group deb"
dpkg_do -i "$work/lab.deb"
device=$(device_id)
start_agent /usr/lib/systemd/system/helpline-agent.service
wait_online "$device"
pass "group deb enrolled the machine as $device; online"

step "group rpm (helpline-agent-lab, metadata and scripts only: rpm does not install here)"
helpline admin installer --group lab --format rpm --relay "127.0.0.1:$agent_port" \
  --out "$work/lab.rpm" >/dev/null
rpm -qpi "$work/lab.rpm" 2>/dev/null | sed -n '1,4p;/^Summary/p'
rpm -qplv "$work/lab.rpm" 2>/dev/null | grep -q -- '^-rw------- .* root .* root .* /etc/helpline/enroll.toml$' ||
  die "the group rpm does not carry /etc/helpline/enroll.toml as 0600 root"
rpm -qp --configfiles "$work/lab.rpm" 2>/dev/null | grep -qx /etc/helpline/enroll.toml ||
  die "enroll.toml is not %config in the group rpm"
rpm -qp --requires "$work/lab.rpm" 2>/dev/null | grep -q '^helpline-agent >= ' ||
  die "the group rpm does not require helpline-agent"
rpm -qp --scripts "$work/lab.rpm" 2>/dev/null | grep -q '/usr/lib/helpline/helpline-agent-enroll' ||
  die "the group rpm's %post does not enroll"
pass "group rpm: requires helpline-agent, 0600 %config enroll.toml, %post enrolls"

# --- 6. upgrade ------------------------------------------------------------------
step "upgrading every package to $version2"
stop_agent_unless_systemd
stop_relay_unless_systemd
dpkg_do -i "$(deb v2 helpline-relay)" "$(deb v2 helpline-cli)" "$(deb v2 helpline-agent)"
start_relay
start_agent /usr/lib/systemd/system/helpline-agent.service
[ "$(dpkg-query -W -f='${Version}' helpline-agent)" = "$version2" ] || die "agent not upgraded"
[ "$(device_id)" = "$device" ] || die "the upgrade changed the device id"
[ "$(json_field ca_pin < /var/lib/helpline/relay/init.json)" = "$pin" ] || die "relay CA changed"
wait_online "$device"
pass "upgrade kept the identity ($device) and the relay's CA; agent back online"

# --- 7. remove, then purge -------------------------------------------------------
step "removing helpline-agent (and the group package)"
stop_agent_unless_systemd
dpkg_do -r helpline-agent-lab helpline-agent
[ ! -e /usr/bin/helpline-agent ] || die "remove left the binary"
[ -f /var/lib/helpline/agent/agent.toml ] || die "remove deleted the identity"
[ -f /var/lib/helpline/agent/key.pem ] || die "remove deleted the key"
pass "remove kept the identity"

step "purging helpline-agent"
dpkg_do -P helpline-agent-lab helpline-agent > "$work/purge.log" 2>&1 || { cat "$work/purge.log"; die "purge failed"; }
cat "$work/purge.log"
grep -q "retired $device" "$work/purge.log" || die "purge did not retire $device"
device_retired "$device" || die "the relay does not list $device as retired"
for path in /var/lib/helpline/agent /etc/helpline/enroll.toml /etc/helpline/agent.env; do
  [ ! -e "$path" ] || die "purge left $path"
done
pass "purge retired $device at the relay and deleted the identity and state"

step "removing and purging helpline-relay and helpline-cli"
stop_relay_unless_systemd
dpkg_do -r helpline-relay helpline-cli
[ -f /var/lib/helpline/relay/relay.toml ] || die "remove deleted the relay's data"
dpkg_do -P helpline-relay helpline-cli
[ -f /var/lib/helpline/relay/ca.key ] || die "purge deleted the relay's CA (it must be kept)"
[ ! -e /usr/bin/helpline-relay ] || die "purge left the relay binary"
pass "relay remove/purge: binaries gone, CA and database kept by design"

say ""
say "ALL PACKAGING CHECKS PASSED"
