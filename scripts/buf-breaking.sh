#!/usr/bin/env bash
# `buf breaking` of the working tree's contracts against a git revision's.
#
# The revision is read with `git archive` rather than buf's own `.git#ref=` input, because the
# proto files the contracts import but do not own (proto/buf, fetched by scripts/proto-deps.mjs)
# are not in git: they are put beside the revision's contracts before buf compiles them.
#
# Usage: bash scripts/buf-breaking.sh [REVISION]   (default HEAD~1; `.git#ref=X` and
#        `.git#branch=X`, as buf spells them, are accepted too)
set -euo pipefail
cd "$(dirname "$0")/.."

against=${1:-HEAD~1}
against=${against#.git#ref=}
against=${against#.git#branch=}
node scripts/proto-deps.mjs --quiet
buf=node_modules/.bin/buf

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
git archive --format=tar "$against" buf.yaml proto | tar -x -C "$tree"
mkdir -p "$tree/proto/buf"
cp -R proto/buf/. "$tree/proto/buf/"
"$buf" breaking --against "$tree"
echo "buf breaking: no breaking change against $against"
