#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# House checks (STYLE.md R22), run as 'meson test --suite style':
#   - clang-format clean (the repo's .clang-format)
#   - no C++ '//' comments in C files
#   - no exit() in library or daemon code (only main() returns)
#   - no absolute path of the machine the tree was checked out on
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 1

fail=0
bad() { echo "style: $*"; fail=1; }

if git rev-parse --git-dir >/dev/null 2>&1; then
        mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h')
else
        mapfile -t files < <(find . -name '*.[ch]' -not -path './build*' | sed 's|^\./||')
fi
[ "${#files[@]}" -gt 0 ] || { echo "style: no C files found"; exit 1; }

if command -v clang-format >/dev/null; then
        for f in "${files[@]}"; do
                [ -f "$f" ] || continue
                clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad "$f: not clang-formatted (run clang-format -i $f)"
        done
else
        echo "style: SKIP clang-format check: clang-format is not installed"
fi

for f in "${files[@]}"; do
        [ -f "$f" ] || continue
        # '//' starting a comment: at line start or after code; URLs inside strings are fine.
        while read -r l; do bad "C++ comment: $f:$l"; done < <(grep -nE '^\s*//|;\s*//' "$f")
        case "$f" in
        src/*|netlink/*|policies/*|daemon/*|cli/*|datapath/*)
                while read -r l; do bad "exit() below main: $f:$l"; done < \
                        <(grep -nE '(^|[^_a-z])exit\(' "$f" | grep -v 'sd_event_exit') ;;
        esac
done

# The checkout's own path, and the folder holding it unless that is a shared system folder
# (a clone in /tmp must not flag every "/tmp/" in the tree).
paths=("$top/")
parent=$(dirname "$top")
case "$parent" in
/|/tmp|/var/tmp|/home|/root|/srv|/opt|/usr|/usr/src|/build) ;;
*) paths+=("$parent/") ;;
esac
for p in "${paths[@]}"; do
        if git grep -nIF "$p" -- . ':!build*' >/dev/null 2>&1; then
                bad "paths of this machine in tracked files ($p):"
                git grep -nIF "$p" -- . | head -n 5
        fi
done

if [ "$fail" -eq 0 ]; then
        echo "style: ${#files[@]} C files checked, all clean"
fi
exit "$fail"
