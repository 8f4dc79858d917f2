#!/usr/bin/env bash
# Renders deploy/k8s/tend.yaml from the Helm chart (deploy/helm/tend) with deploy/k8s/values.yaml,
# for clusters that apply plain manifests. Never edit tend.yaml by hand: edit the chart or the
# values and run this; CI (`.ci/deploy-checks`) fails when tend.yaml differs from a fresh render.
#   bash deploy/k8s/render.sh           write tend.yaml
#   bash deploy/k8s/render.sh --check   exit 1 if tend.yaml is stale
set -euo pipefail
cd "$(dirname "$0")/../.."
helm=${HELM:-.ci/.tools/bin/helm}
[ -x "$helm" ] || helm=helm
fresh=$(
  printf '# Rendered from deploy/helm/tend by deploy/k8s/render.sh with deploy/k8s/values.yaml: do not edit.\n'
  "$helm" template tend deploy/helm/tend --namespace tend --kube-version 1.33.0 -f deploy/k8s/values.yaml
)
if [ "${1:-}" = --check ]; then
  if [ "$fresh" != "$(cat deploy/k8s/tend.yaml)" ]; then
    diff <(printf '%s\n' "$fresh") deploy/k8s/tend.yaml | head -40 >&2 || true
    echo 'deploy/k8s/tend.yaml is stale: run bash deploy/k8s/render.sh' >&2
    exit 1
  fi
  echo 'deploy/k8s/tend.yaml: up to date with the chart'
else
  printf '%s\n' "$fresh" >deploy/k8s/tend.yaml
  echo 'wrote deploy/k8s/tend.yaml'
fi
