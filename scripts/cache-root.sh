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

# stage_build OUT: sets $partial to a new private directory beside OUT to build into, removed when the script exits:
# two concurrent first calls never build into the same tree. publish_build then moves it to OUT.
stage_build() {
    mkdir -p "$(dirname "$1")"
    partial="$(mktemp -d "$1.partial.XXXXXX")"
    trap 'rm -rf "$partial"' EXIT
}

# publish_build SCRIPT OUT PATH: moves $partial to OUT. mv -T refuses an existing non-empty OUT: a concurrent call
# that finished first wins (OUT/PATH is there), and its build is as good.
publish_build() {
    if ! mv -T "$partial" "$2" 2>/dev/null && [ ! -e "$2/$3" ]; then
        echo "$1: could not move $partial to $2" >&2
        exit 1
    fi
}
