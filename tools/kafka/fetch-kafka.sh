#!/usr/bin/env bash
# Puts Apache Kafka's jars (version pinned in pom.xml) into the cache, once:
#   ${VNSTREAM_CACHE:-~/.cache/vnstream}/kafka-<version>/lib
# points ${VNSTREAM_CACHE}/kafka at it and prints that kafka home directory. Needs Maven and a JDK (17+);
# reaches Maven Central only on the first run.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
cache=${VNSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vnstream}
home="$cache/kafka-$version"
if [[ ! -f "$home/.complete" ]]; then
  echo "fetching Apache Kafka $version jars from Maven Central into $home" >&2
  rm -rf "$home/lib.partial"
  mkdir -p "$home"
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$home/lib.partial" >&2
  ls "$home/lib.partial"/kafka_2.13-"$version".jar >/dev/null
  rm -rf "$home/lib"
  mv "$home/lib.partial" "$home/lib"
  echo "$version" > "$home/.complete"
fi
# The launcher (local_kafka.cc) looks for "<cache>/kafka": the version is
# pinned in pom.xml only.
ln -sfn "kafka-$version" "$cache/kafka"
echo "$home"
