#!/bin/sh
# Installs the OpenClaw runtime: OpenClaw requires Node >= 24.16 and Dash runs on Node 20, so a
# Node 24 published on the npm registry (the `node` package) is installed first, and OpenClaw is
# then installed and later run with it. Both come from the npm registry at install time; nothing
# is downloaded when an agent starts. About 850 MB; `npm ci` for Dash itself does not include it.
set -eu
here="$(cd "$(dirname "$0")/install" && pwd)"
(cd "$here/node" && npm ci --no-audit --no-fund)
node24="$here/node/node_modules/.bin"
"$node24/node" --version
# npm and every install script of OpenClaw's dependencies run on Node 24.
(cd "$here/openclaw" && PATH="$node24:$PATH" npm ci --no-audit --no-fund)
echo "OpenClaw installed in $here/openclaw/node_modules (Node $("$node24/node" --version))"
