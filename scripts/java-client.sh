#!/usr/bin/env bash
# Prints the absolute path of the runnable jar of the Java SDK client in tests/harness/clients/java (SdkWorker with every
# dependency in one jar), built by Maven into the user's cache (outside the checkout). The first build downloads the
# SDK and its plugins into Maven's local repository; later calls reuse the jar and return at once. A change to
# pom.xml or to any file under src builds a new directory. Use it as
#   java -jar "$(scripts/java-client.sh)" --address HOST:PORT ... (SdkWorker.java names the arguments)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
project="$repo/tests/harness/clients/java"
# Paths as well as contents: a renamed or removed source changes the build too.
pin="$(cd "$project" && find pom.xml src -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
# shellcheck source=scripts/cache-root.sh
. "$repo/scripts/cache-root.sh"
out="$cache/java-client-$pin"
if [ -f "$out/java-client.jar" ]; then
    echo "$out/java-client.jar"
    exit 0
fi
for tool in mvn java; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "java-client.sh: no $tool on PATH; the Java SDK client needs Java >= 17 and Maven >= 3.6" >&2
        exit 1
    fi
done
started=$(date +%s)
echo "==> building the Java SDK client into $out (first time only)" >&2
stage_build "$out"
# Maven's whole build directory goes into the staging directory: no target/ appears in the checkout.
mvn -q -B -f "$project/pom.xml" -DbuildDirectory="$partial/target" -DskipTests package >&2
mv "$partial/target/java-client.jar" "$partial/java-client.jar"
rm -rf "$partial/target"
publish_build java-client.sh "$out" java-client.jar
echo "==> built in $(( $(date +%s) - started )) s" >&2
echo "$out/java-client.jar"
