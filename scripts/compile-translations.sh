#!/usr/bin/env bash
# Compile the translation catalogs (.po -> .mo; the .mo files are not committed).
#
# Tolerates only one situation: no catalog exists yet (no .po file at all). Any error
# while compiling existing catalogs fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."

translations="assessment/app/translations"
if [ -z "$(find "$translations" -name '*.po' -print -quit 2>/dev/null)" ]; then
    echo "No translation catalogs (.po) under $translations yet; nothing to compile."
    exit 0
fi
.venv/bin/flask --app assessment.app i18n compile
# The compile command reports errors but may still exit 0: check that every catalog
# produced a .mo file at least as new as its .po.
status=0
while IFS= read -r po; do
    mo="${po%.po}.mo"
    if [ ! -f "$mo" ] || [ "$mo" -ot "$po" ]; then
        echo "error: $po did not compile to $mo" >&2
        status=1
    fi
done < <(find "$translations" -name '*.po')
exit "$status"
