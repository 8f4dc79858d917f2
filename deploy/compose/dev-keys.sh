#!/usr/bin/env bash
# Makes the keys a distributed Tend needs (field encryption, its blind index, access-token
# signing) for the compose stack: fresh random values in deploy/compose/.env, which git ignores
# and compose reads. Production takes them from its secret store (see deploy/k8s/secret.yaml).
set -euo pipefail
env_file="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/.env"
if [[ -f $env_file ]] && grep -q '^TEND_JWT_KEYS=' "$env_file" && [[ ${1:-} != --force ]]; then
  echo "dev-keys: $env_file already has keys (use --force to replace them)"
  exit 0
fi
touch "$env_file"
sed -i '/^TEND_ENCRYPTION_KEYS=/d; /^TEND_BLIND_INDEX_KEY=/d; /^TEND_JWT_KEYS=/d' "$env_file"
# An Ed25519 private JWK with a kid, as TEND_JWT_KEYS expects (a JSON array; the first signs).
jwks=$(node -e '
  const { generateKeyPairSync } = require("node:crypto");
  const { privateKey } = generateKeyPairSync("ed25519");
  process.stdout.write(JSON.stringify([{ ...privateKey.export({ format: "jwk" }), kid: "k1" }]));
')
{
  echo "TEND_ENCRYPTION_KEYS=k1:$(openssl rand -base64 32)"
  echo "TEND_BLIND_INDEX_KEY=$(openssl rand -base64 32)"
  echo "TEND_JWT_KEYS='$jwks'"
} >>"$env_file"
chmod 0600 "$env_file"
echo "dev-keys: wrote field-encryption, blind-index and token-signing keys to $env_file"
