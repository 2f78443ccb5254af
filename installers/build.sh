#!/usr/bin/env bash
# Build the one-folder app dist/repowiki/ (installers/repowiki.spec, PyInstaller).
#
#   installers/build.sh                   build with .venv/ of this checkout if it exists,
#                                         else in a new build/venv (`pip install .`, ~10 min:
#                                         llama-cpp-python compiles)
#   PYTHON=/path/bin/python installers/build.sh   build with that environment (RepoWiki installed in it)
#
# The result runs on Linux machines like this one (same CPU family: llama.cpp is compiled for the
# build machine's CPU) and needs neither the network nor this source tree.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${PYTHON:-}" ]; then
    py="$PYTHON"
elif [ -x .venv/bin/python ]; then
    py=.venv/bin/python
else
    [ -x build/venv/bin/python ] || python3 -m venv build/venv
    build/venv/bin/pip install .
    py=build/venv/bin/python
fi
if ! "$py" -c "import sys, repowiki_gui.core.models.llm as m; sys.exit(not m.default_model_path().is_file())"; then
    echo "build.sh: RepoWiki is not installed in $py; run: $py -m pip install ." >&2
    exit 1
fi
"$py" -c "import PyInstaller" 2>/dev/null || "$py" -m pip install 'pyinstaller>=6.10'

start=$(date +%s)
rm -rf dist/repowiki
"$py" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller installers/repowiki.spec
end=$(date +%s)
echo "build.sh: dist/repowiki built in $((end - start)) s, $(du -sh dist/repowiki | cut -f1)"
