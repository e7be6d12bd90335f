#!/bin/sh
# Builds every service's image and pushes it tagged $SHIPGATE_VERSION.
set -eu
printf '%s' "$DOCKER_PASSWORD" | docker login --username "$DOCKER_USERNAME" --password-stdin
VERSION="$SHIPGATE_VERSION" docker compose build
VERSION="$SHIPGATE_VERSION" docker compose push
