#!/usr/bin/env bash
# Proves the monitoring files with their own tools: Prometheus' config and rules parse, every
# alert's thresholds pass their unit tests, every alert names a runbook that exists, and
# Alertmanager's config parses and routes each severity to the receivers it should.
# Installs Debian's prometheus and prometheus-alertmanager when missing (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null || ! command -v amtool >/dev/null; then
  [ -n "${apt_updated:-}" ] || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager
fi

promtool check config deploy/prometheus/prometheus.yml
promtool check rules deploy/prometheus/alerts.yml
promtool test rules deploy/prometheus/alerts.test.yml

# Every alert has a runbook_url, and each one is a file in the repository.
alerts=$(grep -c '^ *- alert:' deploy/prometheus/alerts.yml)
links=$(grep -c '^ *runbook_url:' deploy/prometheus/alerts.yml)
if [ "$alerts" != "$links" ]; then
  echo "deploy/prometheus/alerts.yml: $alerts alerts but $links runbook_url annotations" >&2
  exit 1
fi
for runbook in $(grep -o 'runbook_url: .*' deploy/prometheus/alerts.yml | awk '{print $2}' | sort -u); do
  [ -f "$runbook" ] || { echo "runbook $runbook does not exist" >&2; exit 1; }
done

amtool check-config deploy/alertmanager/alertmanager.yml
route() { # severity, expected receivers (comma-separated, in order)
  amtool config routes test --config.file=deploy/alertmanager/alertmanager.yml --verify.receivers="$2" \
    severity="$1" alertname=TendCheck service=health 2>/dev/null >/dev/null ||
    { echo "alertmanager: severity=$1 does not route to $2" >&2; exit 1; }
}
route page pager,oncall-email
route warning oncall-email
route ticket tickets
echo "monitoring: rules, rule tests, runbooks and alert routing OK ($alerts alerts)"
