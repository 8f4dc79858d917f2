#!/bin/sh
# Entrypoint of the Tend image (see deploy/Dockerfile). Started by tini as
#   entrypoint.sh                      -> tend serve --target=$TEND_TARGET (default all)
#   entrypoint.sh serve --target=...   -> tend serve --target=...
#   entrypoint.sh --target=health      -> tend --target=health (serve is the default command)
# and replaced by Node (exec), so SIGTERM from tini reaches Tend directly. It runs the compiled
# JavaScript; `--conditions=compiled` makes the @tend/* packages resolve to their dist/ too.
set -eu
cd /app
if [ "$#" -eq 0 ]; then
  set -- serve "--target=${TEND_TARGET:-all}"
fi
exec /app/node_modules/.bin/node --conditions=compiled apps/server/dist/main.js "$@"
