#!/usr/bin/env bash
# Installs what Sluice needs to build and test, only when it is missing (idempotent).
# As root it installs Debian packages; otherwise it says what to install and stops.
set -euo pipefail

need_apt=()
for pc in libgit2 yaml-0.1 libcurl re2; do
  if ! pkg-config --exists "$pc" 2>/dev/null; then
    case "$pc" in
      libgit2) need_apt+=(libgit2-dev) ;;
      yaml-0.1) need_apt+=(libyaml-dev) ;;
      libcurl) need_apt+=(libcurl4-openssl-dev) ;;
      re2) need_apt+=(libre2-dev) ;;  # CEL matches/find/findAll and schema patterns
    esac
  fi
done
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v git >/dev/null || need_apt+=(git)
command -v openssl >/dev/null || need_apt+=(openssl)
# `make bench` builds its YAML floor, a small C program over libyaml's events, with cc.
command -v cc >/dev/null || need_apt+=(gcc)
# The dashboard test renders the page in headless Chromium (Debian's package).
command -v chromium >/dev/null || need_apt+=(chromium)
# The ssh:// transport test runs a real sshd on 127.0.0.1 with keys made for the run.
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh-keygen >/dev/null || need_apt+=(openssh-client)
# Signed commits: gpgv verifies OpenPGP signatures; the tests make keys with gpg.
command -v gpgv >/dev/null || need_apt+=(gpgv)
command -v gpg >/dev/null || need_apt+=(gnupg)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "install-deps: installing ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "install-deps: missing Debian packages: ${need_apt[*]}" >&2
    echo "install-deps: run: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
fi

if ! command -v swift >/dev/null; then
  echo "install-deps: swift is not on PATH; install Swift 6 (https://www.swift.org/install/linux/) and retry" >&2
  exit 1
fi

# The SARIF test validates `sluice check --output sarif` with pydantic-sarif, a model generated
# from the OASIS sarif-schema-2.1.0.json (it needs pydantic 2, which it installs when missing).
if ! python3 -c "import pydantic_sarif" 2>/dev/null; then
  echo "install-deps: installing pydantic-sarif (SARIF 2.1.0 schema model for the tests)"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "pydantic-sarif==0.1.1" >/dev/null
fi
