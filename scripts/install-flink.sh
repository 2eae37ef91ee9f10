#!/usr/bin/env bash
# Installs Apache Flink 2.3.0 (the distribution inside the PyPI package apache-flink) for Sluice's
# Flink tests and builds the test job jar. Idempotent: does nothing when both are already there.
# Progress goes to stderr; the last line on stdout is FLINK_HOME.
#
#   CACHE=${SLUICE_CACHE:-$HOME/.cache/sluice}
#   $CACHE/flink-2.3.0/pyflink                 FLINK_HOME (unless $FLINK_HOME already holds Flink 2.3.0)
#   $CACHE/flink-test-job/sluice-test-job.jar  built from Tests/Fixtures/flink-job/src
# As root it installs missing Java (openjdk-17) with apt-get; otherwise it says what to install.
set -euo pipefail

FLINK_VERSION=2.3.0
CACHE=${SLUICE_CACHE:-$HOME/.cache/sluice}
TARGET="$CACHE/flink-$FLINK_VERSION"
# A FLINK_HOME that already holds this Flink version is used as is.
if [ -n "${FLINK_HOME:-}" ] && [ -f "$FLINK_HOME/lib/flink-dist-$FLINK_VERSION.jar" ]; then
  FLINK_HOME=$(cd "$FLINK_HOME" && pwd)
else
  FLINK_HOME="$TARGET/pyflink"
fi
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOB_SOURCES="$REPO_ROOT/Tests/Fixtures/flink-job/src"
JOB_DIR="$CACHE/flink-test-job"
JOB_JAR="$JOB_DIR/sluice-test-job.jar"
JOB_MAIN=dev.sluice.testjob.CountingJob

say() { echo "install-flink: $*" >&2; }
die() { say "$*"; exit 1; }

mkdir -p "$CACHE"
# Tests running in parallel may call this script at the same time: one at a time installs.
exec 9>"$CACHE/.install-flink.lock"
flock -w 900 9 || die "waited 15 minutes for $CACHE/.install-flink.lock; is another install stuck?"

# apt-get install for the given Debian packages, only as root; otherwise say what to run.
apt_install() {
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "$@" >&2
  else
    die "missing $*; run: sudo apt-get install -y $*"
  fi
}

# 1. Java 17 runtime.
if ! command -v java >/dev/null; then
  apt_install openjdk-17-jre-headless
fi
java_version=$(java -version 2>&1 | head -n 1)
say "java: $java_version"
case "$java_version" in
  *\"1.*|*\"9*|*\"10*|*\"11*|*\"12*|*\"13*|*\"14*|*\"15*|*\"16*) die "Flink $FLINK_VERSION needs Java 17 or newer; found: $java_version" ;;
esac

# 2. Flink from PyPI, installed into a scratch dir first so an interrupted install never looks complete.
if [ -f "$FLINK_HOME/lib/flink-dist-$FLINK_VERSION.jar" ] && [ -f "$FLINK_HOME/bin/jobmanager.sh" ]; then
  say "Flink $FLINK_VERSION already installed at $FLINK_HOME"
else
  command -v python3 >/dev/null || die "python3 (with pip) is needed to install Flink from PyPI"
  scratch="$TARGET.partial"
  rm -rf "$scratch"
  say "installing apache-flink==$FLINK_VERSION from PyPI into $TARGET (about 330 MB)"
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$scratch" \
    "apache-flink==$FLINK_VERSION" "apache-flink-libraries==$FLINK_VERSION" >&2
  [ -f "$scratch/pyflink/lib/flink-dist-$FLINK_VERSION.jar" ] || die "pip finished but $scratch/pyflink/lib has no flink-dist jar"
  rm -rf "$TARGET"
  mv "$scratch" "$TARGET"
fi
# pip does not keep the run bit on the scripts.
chmod +x "$FLINK_HOME"/bin/* 2>/dev/null || true

# 3. The test job jar, rebuilt when any source is newer than the jar.
if [ -d "$JOB_SOURCES" ]; then
  newer=$( [ -f "$JOB_JAR" ] && find "$JOB_SOURCES" -name '*.java' -newer "$JOB_JAR" | head -n 1 || echo missing )
  if [ -n "$newer" ]; then
    command -v javac >/dev/null && command -v jar >/dev/null || apt_install openjdk-17-jdk-headless
    say "building $JOB_JAR"
    build=$(mktemp -d "$CACHE/flink-test-job-build.XXXXXX")
    trap 'rm -rf "$build"' EXIT
    mkdir -p "$build/classes" "$JOB_DIR"
    find "$JOB_SOURCES" -name '*.java' > "$build/sources.txt"
    javac --release 17 -Xlint:-options -nowarn -d "$build/classes" -cp "$FLINK_HOME/lib/*" @"$build/sources.txt" >&2
    jar cfe "$build/job.jar" "$JOB_MAIN" -C "$build/classes" . >&2
    mv -f "$build/job.jar" "$JOB_JAR"
  else
    say "test job jar is up to date: $JOB_JAR"
  fi
else
  say "no test job sources at $JOB_SOURCES; skipping the jar"
fi

echo "$FLINK_HOME"
