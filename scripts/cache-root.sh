# Sourced by the build scripts: where the builds the tests need (server, SDK clients) are kept, outside the checkout.
# shellcheck shell=bash disable=SC2034  # read by the scripts that source this
cache="${MTLS_TEMPORAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mtls-temporal}"
