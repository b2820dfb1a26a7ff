#!/usr/bin/env bash
# Installs everything vnstream needs to build, test and run, on Debian 12.
# Idempotent: a second run only checks. Used by run-local.sh, test.sh and CI.
#   - Debian packages: Bazel 4.2.3 (bazel-bootstrap), gRPC, protobuf,
#     librdkafka, prometheus-cpp, curl, Abseil, spdlog, yaml-cpp, RapidJSON,
#     GoogleTest, Google Benchmark, clang-format, Prometheus (promtool), kcat
#   - Apache Kafka jars from Maven Central (tools/kafka/fetch-kafka.sh)
#   - a Python venv from PyPI (tools/python/requirements.txt: TA-Lib, grpcio)
#   - .bazelrc.local: tells tests where the Kafka jars and the venv are
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  bazel-bootstrap
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librdkafka-dev prometheus-cpp-dev libcurl4-openssl-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev pkg-config
  libspdlog-dev libfmt-dev libyaml-cpp-dev rapidjson-dev libcpp-httplib-dev
  clang-format prometheus kcat
  default-jdk-headless maven python3 python3-venv
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

kafka_home=$("$repo/tools/kafka/fetch-kafka.sh")

cache=${VNSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vnstream}
venv="$cache/venv"
requirements="$repo/tools/python/requirements.txt"
stamp=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ "$(cat "$venv/.requirements" 2>/dev/null)" != "$stamp" ]]; then
  echo "setup: creating Python venv $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" >&2
  echo "$stamp" > "$venv/.requirements"
fi

# Bazel runs tests with HOME=$TEST_TMPDIR and a minimal environment, so they
# are told where the jars and the venv are.
cat > "$repo/.bazelrc.local" <<EOT
# Written by scripts/setup.sh; machine-specific, not committed.
test --test_env=VNSTREAM_KAFKA_HOME=$kafka_home
test --test_env=VNSTREAM_VENV=$venv
EOT
echo "setup: ok (Kafka jars in $kafka_home, Python venv $venv)" >&2
