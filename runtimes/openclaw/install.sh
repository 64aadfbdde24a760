#!/bin/sh
# Installs the OpenClaw runtime: OpenClaw requires Node >= 24.16 and Dash runs on Node 20, so a
# Node 24 published on the npm registry (the `node` package) is installed first, and OpenClaw is
# then installed and later run with it. Both come from the npm registry at install time; nothing
# is downloaded when an agent starts. About 850 MB; `npm ci` for Dash itself does not include it.
set -eu
here="$(cd "$(dirname "$0")/install" && pwd)"
# An install is skipped when its lockfile has not changed since it last succeeded, so `npm test`
# can call this every time at no cost.
installed() { cmp -s "$1/package-lock.json" "$1/node_modules/.dash-installed-lock"; }
stamp() { cp "$1/package-lock.json" "$1/node_modules/.dash-installed-lock"; }
installed "$here/node" || { (cd "$here/node" && npm ci --no-audit --no-fund) && stamp "$here/node"; }
node24="$here/node/node_modules/.bin"
"$node24/node" --version
# npm and every install script of OpenClaw's dependencies run on Node 24.
installed "$here/openclaw" || {
  (cd "$here/openclaw" && PATH="$node24:$PATH" npm ci --no-audit --no-fund) && stamp "$here/openclaw"
}
echo "OpenClaw installed in $here/openclaw/node_modules (Node $("$node24/node" --version))"
