#!/bin/sh
# Deploys $SHIPGATE_VERSION to Fly.io. FLY_APP, FLY_CONFIG and FLY_API_TOKEN come
# from `provider.env` in shipgate.yaml.
set -eu
exec flyctl deploy --app "$FLY_APP" --config "$FLY_CONFIG" --image-label "$SHIPGATE_VERSION" --strategy rolling
