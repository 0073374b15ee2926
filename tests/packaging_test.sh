#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installing etiolog: `cmake --install` into a scratch root (DESTDIR) puts
# the binary, the man page, the built-in packs, bash and zsh completion and
# the systemd unit where they belong, and the installed binary diagnoses a
# sample, also with only the installed packs; CPack builds a .deb whose
# Depends name the Debian runtime libraries and whose files are those, and
# `dpkg --root` installs it into an empty dpkg database.
# Usage: packaging_test.sh BUILD_DIR   (run from the repository root)
set -uo pipefail
build=$(cd "$1" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export XDG_CONFIG_HOME="$scratch/empty-config"
failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}
sample=samples/scenarios/per_process_key/docker-compose.log
files=(usr/bin/etiolog usr/share/man/man1/etiolog.1.gz usr/share/etiolog/rules/airflow_auth.yaml
       usr/share/bash-completion/completions/etiolog usr/share/zsh/vendor-completions/_etiolog
       usr/lib/systemd/system/etiolog-tail.service)

# 1. cmake --install into a scratch root.
root=$scratch/root
if ! DESTDIR=$root cmake --install "$build" --prefix /usr >"$scratch/install.log" 2>&1; then
  fail "cmake --install: $(cat "$scratch/install.log")"
fi
for f in "${files[@]}"; do
  [[ -s "$root/$f" ]] || fail "cmake --install did not install /$f"
done
causes() { python3 -c 'import json,sys; print(" ".join(f["cause"] for f in json.load(sys.stdin)["findings"]))'; }
want=$("$build/analyzer/etiolog" analyze --format json "$sample" | causes)
got=$("$root/usr/bin/etiolog" analyze --format json "$sample" | causes)
[[ -n "$want" && "$got" == "$want" ]] || fail "the installed binary says '$got', the build '$want'"
got=$("$root/usr/bin/etiolog" analyze --no-builtin-rules --rules "$root/usr/share/etiolog/rules" \
  --format json "$sample" | causes)
[[ "$got" == "$want" ]] || fail "with only the installed packs: '$got', built-in: '$want'"
zcat "$root/usr/share/man/man1/etiolog.1.gz" >"$scratch/etiolog.1"
grep -q '^\.SH TAIL' "$scratch/etiolog.1" || fail "the man page has no TAIL section"
grep -q -- 'status\\-file' "$scratch/etiolog.1" ||
  fail "the man page lacks tail's --status-file (is it made from the help?)"
if command -v man >/dev/null; then
  man -l "$root/usr/share/man/man1/etiolog.1.gz" >"$scratch/man.txt" 2>"$scratch/man.err" ||
    fail "man cannot render the page: $(cat "$scratch/man.err")"
fi
# Completion: the bash function offers the commands and a command's options.
completion=$(PATH="$root/usr/bin:$PATH" bash -c '
  source "$1"
  COMP_WORDS=(etiolog ta); COMP_CWORD=1; _etiolog; echo "${COMPREPLY[*]}"
  COMP_WORDS=(etiolog tail --status); COMP_CWORD=2; _etiolog; echo "${COMPREPLY[*]}"
' _ "$root/usr/share/bash-completion/completions/etiolog")
[[ "$completion" == $'tail\n--status-file' ]] || fail "bash completion gave: $completion"

# 2. The .deb.
if ! (cd "$scratch" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/pkg" \
  >"$scratch/cpack.log" 2>&1); then
  fail "cpack: $(tail -20 "$scratch/cpack.log")"
fi
deb=$(ls "$scratch"/pkg/*.deb 2>/dev/null | head -1)
if [[ -z "$deb" ]]; then
  fail "no .deb was built"
else
  depends=$(dpkg-deb -f "$deb" Depends)
  for lib in libre2 libsqlite3 libarchive libyaml-cpp libboost-program-options libcurl; do
    [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
  done
  contents=$(dpkg-deb -c "$deb")
  for f in "${files[@]}"; do
    grep -q " \./$f\$" <<<"$contents" || fail "the .deb lacks /$f"
  done
  # An empty dpkg database in a scratch root: the package installs (its
  # dependencies are this machine's libraries, not that root's).
  droot=$scratch/dpkg-root
  mkdir -p "$droot/var/lib/dpkg/info" "$droot/var/lib/dpkg/updates"
  touch "$droot/var/lib/dpkg/status"
  if ! dpkg --root="$droot" --force-depends --force-not-root --force-script-chrootless \
    --log=/dev/null -i "$deb" >"$scratch/dpkg.log" 2>&1; then
    fail "dpkg -i: $(cat "$scratch/dpkg.log")"
  fi
  dpkg --root="$droot" -s etiolog 2>/dev/null | grep -q "^Status: install ok installed" ||
    fail "dpkg does not list etiolog as installed: $(cat "$scratch/dpkg.log")"
  got=$("$droot/usr/bin/etiolog" analyze --format json "$sample" | causes)
  [[ "$got" == "$want" ]] || fail "the binary dpkg installed says '$got'"
fi

if ((failures > 0)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "packaging: all checks passed ($(basename "${deb:-none}"))"
