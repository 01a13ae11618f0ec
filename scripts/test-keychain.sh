#!/usr/bin/env bash
# Runs test/keychain against a real Secret Service: a throwaway gnome-keyring on a private D-Bus session bus.
#
# The keyring lives in a temp dir (XDG_DATA_HOME / XDG_RUNTIME_DIR point there) so the run never touches the
# user's real keyrings, and is removed afterwards. Exits with vitest's status; extra arguments go to vitest.
# Needs the apt packages dbus (dbus-run-session) and gnome-keyring, and keytar built against libsecret-1-dev.
set -euo pipefail

cd "$(dirname "$0")/.."

for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "test-keychain: '$tool' not found (apt-get install dbus gnome-keyring)" >&2
    exit 2
  fi
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/data" "$tmp/runtime"
export XDG_DATA_HOME="$tmp/data"
export XDG_RUNTIME_DIR="$tmp/runtime"

# dbus-run-session exits with the status of its child, and `exec` makes that child vitest itself.
# --unlock reads the password of the new "login" keyring from stdin and creates it unlocked; without an unlocked
# default collection the Secret Service would try to show a password prompt, which fails without a display.
# The daemon exits on its own when the session bus goes away.
status=0
dbus-run-session -- sh -c '
  printf %s throwaway-test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null || {
    echo "test-keychain: gnome-keyring-daemon failed to start" >&2
    exit 2
  }
  exec npx vitest run --config vitest.keychain.config.ts "$@"
' sh "$@" || status=$?
exit "$status"
