#!/bin/sh
# Returns the app to $SHIPGATE_VERSION by redeploying the image built for it.
set -eu
exec flyctl deploy --app "$FLY_APP" --config "$FLY_CONFIG" --image "registry.fly.io/$FLY_APP:$SHIPGATE_VERSION" --strategy rolling
