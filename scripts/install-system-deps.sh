#!/usr/bin/env bash
# Install the Debian packages the grader's sandbox needs (grader/sandbox), and the browser
# the test suite drives JupyterLab with (tests/browser).
#
# Idempotent: a package that dpkg already reports as installed is skipped, so
# re-running costs one dpkg query per package and never touches the network.
# apt-get is used only when running as root and something is missing; a
# non-root user just gets told what to install (CI here runs as root), and the
# script still exits 0: the sandbox then degrades (or refuses, with
# GRADER_SANDBOX_KIND=bubblewrap), which is the place that decides.
# Run it (bash scripts/install-system-deps.sh); do not source it: it sets -euo pipefail.
set -euo pipefail

# bubblewrap: bwrap, the unprivileged namespace sandbox (mount/pid/net/user ns).
# util-linux: prlimit/setpriv; normally present, listed so a slim image gets it.
# gcc, libc6-dev: the C compiler and headers the grader builds its allocation counter with
# (grader/native/alloc_shim.c); rustc links crates with `cc` too.
SANDBOX_DEB_PACKAGES=(bubblewrap util-linux gcc libc6-dev)
# chromium: the browser tests/browser drives through Playwright (PyPI's playwright cannot
# download its own browsers offline; Debian's runs as /usr/bin/chromium).
# fonts-liberation: chromium's recommended fonts (Arial/Helvetica metrics), so JupyterLab's
# text renders in the tests' screenshots; --no-install-recommends would leave it out.
BROWSER_DEB_PACKAGES=(chromium fonts-liberation)
DEB_PACKAGES=("${SANDBOX_DEB_PACKAGES[@]}" "${BROWSER_DEB_PACKAGES[@]}")

_missing_debs=()
for _pkg in "${DEB_PACKAGES[@]}"; do
    # "install ok installed" is dpkg's status for a fully configured package;
    # anything else (absent, half-configured, removed-with-config) needs apt.
    if [ "$(dpkg-query -W -f='${Status}' "$_pkg" 2>/dev/null || true)" != "install ok installed" ]
    then
        _missing_debs+=("$_pkg")
    fi
done

if [ "${#_missing_debs[@]}" -eq 0 ]; then
    echo "install-system-deps: all present (${DEB_PACKAGES[*]})"
elif [ "$(id -u)" -eq 0 ]; then
    echo "install-system-deps: installing ${_missing_debs[*]}"
    # Non-interactive: no debconf prompts, no recommends (keeps CI images small),
    # and refresh the package lists first because a fresh image may have none.
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${_missing_debs[@]}"
else
    echo "install-system-deps: missing ${_missing_debs[*]}; not root, so not installing." >&2
    echo "install-system-deps: ask an admin for: apt-get install ${_missing_debs[*]}" >&2
    echo "install-system-deps: the sandbox falls back to rlimits-only meanwhile," >&2
    echo "install-system-deps: and the browser tests skip (outside CI) without chromium." >&2
fi
