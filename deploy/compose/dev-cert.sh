#!/usr/bin/env bash
# Makes a self-signed certificate for the compose nginx edge (localhost only; browsers will warn).
# Writes deploy/compose/tls/tls.crt and tls.key, which git ignores. Production mounts a real
# certificate at the same paths (/etc/nginx/tls/ in the nginx container).
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tls"
mkdir -p "$dir"
if [[ -s $dir/tls.crt && -s $dir/tls.key && ${1:-} != --force ]]; then
  echo "dev-cert: $dir/tls.crt exists (use --force to replace it)"
  exit 0
fi
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -sha256 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
chmod 0644 "$dir/tls.crt" "$dir/tls.key" # read by nginx's worker user in the container
echo "dev-cert: wrote $dir/tls.crt and tls.key (self-signed, 365 days)"
