#!/usr/bin/env bash
# smuggling.sh - request smuggling attempts (conflicting Content-Length /
# Transfer-Encoding framings, each followed by a smuggled request) against
# both listeners, with the same /healthz, store and fsck checks as
# hostile_clients.sh (which this runs with ATTACKS=smuggling).
ATTACKS=smuggling exec bash "$(dirname "$0")/hostile_clients.sh"
