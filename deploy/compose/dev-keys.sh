#!/usr/bin/env bash
# Makes the keys a distributed Tend needs (field encryption, its blind index, access-token
# signing, service identity) and the Redis and Kafka passwords for the compose stack: fresh random values in deploy/compose/.env, which git ignores
# and compose reads. Production takes them from its secret store (see the `secret` keys in deploy/helm/tend/values.yaml).
set -euo pipefail
env_file="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/.env"
# A stack made before Kafka asked for a password gets one, and keeps its keys: new field keys
# would leave every sealed value unreadable.
if [[ -f $env_file ]] && grep -q '^TEND_ENCRYPTION_KEYS=' "$env_file" && ! grep -q '^KAFKA_SASL_PASSWORD=' "$env_file" &&
  [[ ${1:-} != --force ]]; then
  echo "KAFKA_SASL_PASSWORD=$(openssl rand -hex 24)" >>"$env_file"
  echo "dev-keys: added KAFKA_SASL_PASSWORD to $env_file"
fi
if [[ -f $env_file ]] && grep -q '^TEND_SERVICE_KEYS=' "$env_file" && grep -q '^REDIS_PASSWORD=' "$env_file" &&
  grep -q '^KAFKA_SASL_PASSWORD=' "$env_file" &&
  [[ ${1:-} != --force ]]; then
  echo "dev-keys: $env_file already has keys (use --force to replace them)"
  exit 0
fi
touch "$env_file"
sed -i '/^TEND_ENCRYPTION_KEYS=/d; /^TEND_BLIND_INDEX_KEY=/d; /^TEND_JWT_KEYS=/d; /^TEND_SERVICE_KEYS=/d; /^REDIS_PASSWORD=/d; /^KAFKA_SASL_PASSWORD=/d' "$env_file"
# An Ed25519 private JWK with a kid, as TEND_JWT_KEYS expects (a JSON array; the first signs).
ed25519_jwks() {
  node -e '
    const { generateKeyPairSync } = require("node:crypto");
    const { privateKey } = generateKeyPairSync("ed25519");
    process.stdout.write(JSON.stringify([{ ...privateKey.export({ format: "jwk" }), kid: process.argv[1] }]));
  ' "$1"
}
jwks=$(ed25519_jwks k1)
# The service identity every process of the stack signs its internal calls with (TEND_SERVICE_KEYS).
service_jwks=$(ed25519_jwks tend)
{
  echo "TEND_ENCRYPTION_KEYS=k1:$(openssl rand -base64 32)"
  echo "TEND_BLIND_INDEX_KEY=$(openssl rand -base64 32)"
  echo "TEND_JWT_KEYS='$jwks'"
  echo "TEND_SERVICE_KEYS='$service_jwks'"
  # Redis's password (compose runs it with --requirepass; every process's REDIS_URL carries it).
  echo "REDIS_PASSWORD=$(openssl rand -hex 24)"
  # The broker's SASL user `tend` (compose's Kafka takes SASL_SSL only; every process's client logs in with it).
  echo "KAFKA_SASL_PASSWORD=$(openssl rand -hex 24)"
} >>"$env_file"
chmod 0600 "$env_file"
echo "dev-keys: wrote field-encryption, blind-index, token-signing and service keys and the Redis and Kafka passwords to $env_file"
