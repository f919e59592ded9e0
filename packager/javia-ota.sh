#!/usr/bin/env bash
# javia-ota COMMAND [ID|VERSION] [OPTIONS]  (see --help): list, show and steer rollouts.
#
# The same jar as create_update.sh, found and run the same way: install both scripts next to create-update.jar.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAVIA_PACKAGER_COMMAND=javia-ota exec "$here/create_update.sh" "$@"
