#!/usr/bin/env bash
# Creates the Python environment the peer comparison scripts run in:
# NEST 3.10.0 and Brian2 2.9.0 on Python 3.11. Safe to run again: it only
# installs what is missing.
#
#   NEURC_PEERS_VENV   where the environment goes (default /work/peers-venv)
#   PYTHON             the interpreter to build it from (default python3.11)
set -euo pipefail

venv="${NEURC_PEERS_VENV:-/work/peers-venv}"
python="${PYTHON:-python3.11}"

# Brian2 2.10 and later need Python >= 3.12; 2.9.0 does not import with numpy 2.4.
requirements=("nest-simulator==3.10.0" "brian2==2.9.0" "numpy<2.4")

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv with $("$python" --version)"
    "$python" -m venv "$venv"
fi

installed() {
    "$venv/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as md
import sys
wanted = {"nest-simulator": "3.10.0", "brian2": "2.9.0"}
for name, version in wanted.items():
    if md.version(name) != version:
        sys.exit(1)
major, minor = (int(x) for x in md.version("numpy").split(".")[:2])
sys.exit(0 if (major, minor) < (2, 4) else 1)
PY
}

if installed; then
    echo "$venv already has ${requirements[*]}"
else
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "${requirements[@]}"
fi

# Importing both checks the wheels work on this machine (NEST prints a banner
# on import; keep only the versions).
"$venv/bin/python" -c 'import brian2, nest; print("brian2", brian2.__version__, "nest", nest.__version__)' 2>&1 | tail -n 1
