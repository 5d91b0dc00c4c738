#!/usr/bin/env bash
# The first step of `npm test`: the binaries the tests run, so that the README's test command is
# complete on a fresh clone. promtool and the prometheus server (Debian's `prometheus` package) prove
# the queries and run the rehearsals; jq applies Argo CD's jq paths. Installed ones are used as they
# are (PROMETHEUS_BINARY names another server binary); else, as root with apt-get (CI), Debian's
# packages are installed; else one line says what to install, and the tests do not run.
set -euo pipefail

missing=()
command -v "${PROMETHEUS_BINARY:-prometheus}" >/dev/null 2>&1 || missing+=(prometheus)
command -v promtool >/dev/null 2>&1 || missing+=(promtool)
command -v jq >/dev/null 2>&1 || missing+=(jq)
[ "${#missing[@]}" -eq 0 ] && exit 0

# promtool and the server both come with Debian's `prometheus` package.
packages=()
case " ${missing[*]} " in *" prometheus "* | *" promtool "*) packages+=(prometheus) ;; esac
case " ${missing[*]} " in *" jq "*) packages+=(jq) ;; esac

if [ "$(id -u 2>/dev/null || echo unknown)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "npm test: installing Debian's ${packages[*]} for ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null 2>&1; } \
    || { echo "npm test needs ${missing[*]}: 'apt-get install ${packages[*]}' failed; install Debian's ${packages[*]} and run it again" >&2; exit 1; }
  still=()
  for tool in "${missing[@]}"; do
    [ "$tool" = prometheus ] && tool="${PROMETHEUS_BINARY:-prometheus}"
    command -v "$tool" >/dev/null 2>&1 || still+=("$tool")
  done
  if [ "${#still[@]}" -gt 0 ]; then
    echo "npm test needs ${still[*]}: installing Debian's ${packages[*]} did not put it on the PATH" >&2
    exit 1
  fi
  exit 0
fi

echo "npm test needs ${missing[*]}, not found on the PATH: install Debian's ${packages[*]} (sudo apt-get install ${packages[*]})" >&2
exit 1
