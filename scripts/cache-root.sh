# Sourced by the build scripts: where the builds the tests need (server, SDK clients) are kept, outside the checkout,
# and how they build Go.
# shellcheck shell=bash disable=SC2034  # read by the scripts that source this
cache="${MTLS_TEMPORAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mtls-temporal}"

# go_for SCRIPT MODULE_DIR: fail naming the Go the module needs when there is none; else build with the installed Go
# (never a downloaded toolchain) and without cgo, so that the pinned modules give static binaries.
go_for() {
    if ! command -v go >/dev/null 2>&1; then
        echo "$1: no go on PATH; it builds with Go >= $(awk '$1 == "go" {print $2}' "$2/go.mod")" >&2
        exit 1
    fi
    export GOTOOLCHAIN=local CGO_ENABLED=0
}
