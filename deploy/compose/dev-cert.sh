#!/usr/bin/env bash
# Makes the compose stack's development certificates, in deploy/compose/tls/ (git ignores it):
#   tls.crt, tls.key    self-signed certificate for the nginx edge (localhost; browsers will warn).
#                       Production mounts a real one at the same paths (/etc/nginx/tls/ in nginx).
#   kafka/              the broker's TLS identity: a CA made here (its key is deleted once it has
#                       signed), the broker's certificate for `kafka` (its name on the compose
#                       network) in a PKCS#12 keystore, and the keystore's password. Tend trusts
#                       kafka/ca.pem (KAFKA_SSL_CA_FILE) and verifies the broker against it.
# Usage: bash deploy/compose/dev-cert.sh [--force]
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tls"
mkdir -p "$dir"
force=${1:-}

if [[ -s $dir/tls.crt && -s $dir/tls.key && $force != --force ]]; then
  echo "dev-cert: $dir/tls.crt exists (use --force to replace it)"
else
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -sha256 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
  chmod 0644 "$dir/tls.crt" "$dir/tls.key" # read by nginx's worker user in the container
  echo "dev-cert: wrote $dir/tls.crt and tls.key (self-signed, 365 days)"
fi

# The same material as scripts/infra.sh makes for the test broker's SASL_SSL listener, which the
# Kafka TLS suites run against; only the name differs (kafka here, 127.0.0.1 there).
kafka="$dir/kafka"
if [[ -s $kafka/broker.p12 && -s $kafka/ca.pem && -s $kafka/broker-password && $force != --force ]]; then
  echo "dev-cert: $kafka/broker.p12 exists (use --force to replace it)"
  exit 0
fi
rm -rf "$kafka" && mkdir -p "$kafka"
(
  cd "$kafka"
  password=$(openssl rand -hex 16)
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -sha256 -subj "/CN=tend-dev-kafka-ca" \
    -keyout ca.key -out ca.pem 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kafka" -keyout broker.key -out broker.csr 2>/dev/null
  printf 'subjectAltName=DNS:kafka,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >broker.ext
  openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 -sha256 \
    -extfile broker.ext -out broker.pem 2>/dev/null
  openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -name broker \
    -passout "pass:$password" -out broker.p12
  printf '%s' "$password" >broker-password
  rm -f ca.key ca.srl broker.key broker.csr broker.ext broker.pem
)
# Read by the broker's user (uid 1000) in the container; a development stack's keys.
chmod 0755 "$kafka" && chmod 0644 "$kafka"/*
echo "dev-cert: wrote $kafka/ca.pem, broker.p12 and broker-password (broker certificate for kafka, 365 days)"
