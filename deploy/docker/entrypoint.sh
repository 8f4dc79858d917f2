#!/bin/sh
# Entrypoint of the Tend image (see deploy/Dockerfile). Started by tini as
#   entrypoint.sh                      -> tend serve --target=$TEND_TARGET (default all)
#   entrypoint.sh serve --target=...   -> tend serve --target=...
#   entrypoint.sh --target=health      -> tend --target=health (serve is the default command)
# and replaced by Node (exec), so SIGTERM from tini reaches Tend directly. It runs the bundled
# JavaScript (apps/server/dist, scripts/build-server.mjs).
set -eu
cd /app
if [ "$#" -eq 0 ]; then
  set -- serve "--target=${TEND_TARGET:-all}"
fi
exec /app/node_modules/.bin/node apps/server/dist/main.js "$@"
