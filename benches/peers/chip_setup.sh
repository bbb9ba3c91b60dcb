#!/usr/bin/env bash
# Creates the Python environment the chip comparison scripts run in:
# lava-nc 0.10.0 (bit-accurate CPU simulation of Loihi's fixed-point models)
# and SANA-FE (architecture simulator) on Python 3.10. Safe to run again: it
# only installs what is missing.
#
#   NEURC_CHIP_PEERS_VENV   where the environment goes (default /work/chip-peers-venv)
#   PYTHON                  the interpreter to build it from
#                           (default ~/.pyenv/versions/3.10.13/bin/python)
#   SANAFE_VERSION          the SANA-FE release to install (default 2.2.9, the
#                           newest release when this was written)
set -euo pipefail

venv="${NEURC_CHIP_PEERS_VENV:-/work/chip-peers-venv}"
python="${PYTHON:-$HOME/.pyenv/versions/3.10.13/bin/python}"
sanafe_version="${SANAFE_VERSION:-2.2.9}"

# lava-nc 0.10 supports Python 3.8-3.10 only.
requirements=("lava-nc==0.10.0" "sanafe==$sanafe_version")

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv with $("$python" --version)"
    "$python" -m venv "$venv"
fi

installed() {
    SANAFE_VERSION="$sanafe_version" "$venv/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as md
import os
import sys
wanted = {"lava-nc": "0.10.0", "sanafe": os.environ["SANAFE_VERSION"]}
for name, version in wanted.items():
    if md.version(name) != version:
        sys.exit(1)
PY
}

if installed; then
    echo "$venv already has ${requirements[*]}"
else
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "${requirements[@]}"
fi

# Importing both checks the wheels work on this machine.
"$venv/bin/python" - <<'PY'
import importlib.metadata as md
import lava.magma.core.run_configs  # noqa: F401  (fails if lava's dependencies are broken)
import sanafe  # noqa: F401
print("lava-nc", md.version("lava-nc"), "sanafe", md.version("sanafe"))
PY
