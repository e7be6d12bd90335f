#!/bin/sh
# Starts the images tagged $SHIPGATE_VERSION on the production host. PROD_HOST,
# PROD_USER and PROD_KEY come from `provider.env` in shipgate.yaml.
set -eu
# The version ends up in a remote shell command: allow only what a tag may hold.
case "$SHIPGATE_VERSION" in
  *[!A-Za-z0-9.+-]*) echo "refusing unexpected version: $SHIPGATE_VERSION" >&2; exit 2 ;;
esac
key=$(mktemp)
trap 'rm -f "$key"' EXIT
printf '%s\n' "$PROD_KEY" > "$key"
exec ssh -i "$key" "$PROD_USER@$PROD_HOST" "cd /srv/azora && VERSION='$SHIPGATE_VERSION' docker compose pull && VERSION='$SHIPGATE_VERSION' docker compose up -d"
