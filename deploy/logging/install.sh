#!/usr/bin/env bash
# Installs what the log-shipping test (e2e/log-shipping.test.ts) runs, into .ci/.tools (git-ignored,
# reused while its version stamp matches), then validates the shipped collector config:
#   tend-otelcol   the OpenTelemetry Collector built from deploy/logging/collector (Go module proxy)
#   opensearch     OpenSearch 2.19.6 from Maven Central, laid out as a node's home directory
# Usage: bash deploy/logging/install.sh      (.ci/deploy-checks calls it)
# Prints where each went; `TEND_OTELCOL` and `TEND_OPENSEARCH_HOME` point the test elsewhere.
set -euo pipefail
cd "$(dirname "$0")/../.."

TOOLS=.ci/.tools
COLLECTOR_SRC=deploy/logging/collector
OPENSEARCH_SRC=deploy/logging/opensearch
started=$SECONDS
log() { printf '[logging] %s (%ss)\n' "$*" "$((SECONDS - started))" >&2; }
apt_install() {
  [ -n "${apt_updated:-}" ] || { apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}
stamp_of() { cat "$@" | sha256sum | cut -c1-64; }

mkdir -p "$TOOLS/bin"
command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || apt_install golang-go
command -v java >/dev/null || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null || apt_install maven

# --- the collector -----------------------------------------------------------------------------
# A `go build` carries no version of its own: the stamp is the hash of the module's files and Go's
# version, so a changed go.mod or main.go rebuilds it.
collector=$TOOLS/bin/tend-otelcol
want=$( (go version; cat "$COLLECTOR_SRC/go.mod" "$COLLECTOR_SRC/go.sum" "$COLLECTOR_SRC/main.go") | sha256sum | cut -c1-64)
if [ ! -x "$collector" ] || [ "$(cat "$collector.stamp" 2>/dev/null)" != "$want" ]; then
  log "building tend-otelcol (first time: several minutes on 2 cores)"
  (cd "$COLLECTOR_SRC" && go build -trimpath -ldflags='-s -w' -o "$OLDPWD/$collector.new" .)
  mv -f "$collector.new" "$collector"
  echo "$want" >"$collector.stamp"
fi
log "tend-otelcol $("$collector" --version | awk '{print $NF}')"

# --- OpenSearch --------------------------------------------------------------------------------
# The server and its dependencies go to lib/; the Netty transport (the HTTP API) is a module, so
# it and the Netty jars go to modules/transport-netty4/ with the descriptor and policy a
# distribution would carry. bin/ and plugins/ only have to exist.
home=$TOOLS/opensearch
want=$(stamp_of "$OPENSEARCH_SRC/pom.xml" "$OPENSEARCH_SRC/plugin-descriptor.properties" "$OPENSEARCH_SRC/plugin-security.policy")
if [ "$(cat "$home/.complete" 2>/dev/null)" != "$want" ]; then
  log 'fetching OpenSearch from Maven Central (first time only)'
  rm -rf "$home.tmp"
  mkdir -p "$home.tmp/lib" "$home.tmp/modules/transport-netty4" "$home.tmp/bin" "$home.tmp/plugins"
  mvn -q -B -Dstyle.color=never -f "$OPENSEARCH_SRC/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$PWD/$home.tmp/jars" </dev/null >"$TOOLS/opensearch-mvn.log" 2>&1 ||
    { cat "$TOOLS/opensearch-mvn.log" >&2; exit 1; }
  for jar in "$home.tmp"/jars/*.jar; do
    case $(basename "$jar") in
      netty-* | transport-netty4-client-*) mv "$jar" "$home.tmp/modules/transport-netty4/" ;;
      *) mv "$jar" "$home.tmp/lib/" ;;
    esac
  done
  rmdir "$home.tmp/jars"
  cp "$OPENSEARCH_SRC/plugin-descriptor.properties" "$OPENSEARCH_SRC/plugin-security.policy" \
    "$home.tmp/modules/transport-netty4/"
  ls "$home.tmp/lib"/opensearch-2.*.jar >/dev/null
  echo "$want" >"$home.tmp/.complete"
  rm -rf "$home"
  mv "$home.tmp" "$home"
fi
# The node refuses to run as root; as root, the test runs it as nobody, who must read the jars.
chmod -R a+rX "$home"
log "opensearch $(basename "$home"/lib/opensearch-2.*.jar .jar | sed 's/opensearch-//') in $home"

# --- the shipped config, checked by the collector itself -----------------------------------------
"$collector" validate --config deploy/logging/collector.yaml
log 'deploy/logging/collector.yaml: valid'
