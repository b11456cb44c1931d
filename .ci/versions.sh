#!/usr/bin/env bash
# Run the tests with other versions of the dependencies than the newest:
#   bash .ci/versions.sh minimum   # exactly the minimums of pyproject.toml (.ci/versions-minimum.txt)
#   bash .ci/versions.sh lite      # xlwings Lite's versions (.ci/versions-lite.txt), from the built wheel
# A fresh virtual environment in .ci/.venv-<which>, the package installed with those versions as constraints,
# then the fast test suite (LibreOffice and R are used where installed, as in .ci/run). For "lite" the package
# is first built as a wheel, which must be pure Python (py3-none-any) as xlwings Lite needs it, and that wheel
# is installed, not the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:?usage: .ci/versions.sh minimum|lite}"
constraints=".ci/versions-${which}.txt"
[ -f "$constraints" ] || { echo "no $constraints" >&2; exit 2; }
venv=".ci/.venv-${which}"
rm -rf "$venv"
python -m venv "$venv"
pip=("$venv/bin/python" -m pip install -q -c "$constraints")
if [ "$which" = lite ]; then
  wheels="$venv/wheels"
  "$venv/bin/python" -m pip wheel -q --no-deps . -w "$wheels" 2> >(grep -v '^WARNING: Location' >&2)
  wheel=$(ls "$wheels"/tildeling-*.whl)
  case "$wheel" in
    *-py3-none-any.whl) echo "== pure-Python wheel: $(basename "$wheel")" ;;
    *) echo "the wheel is not pure Python: $wheel" >&2; exit 1 ;;
  esac
  "${pip[@]}" "${wheel}[test]" 2> >(grep -v '^WARNING: Location' >&2)
else
  "${pip[@]}" -e ".[test]" 2> >(grep -v '^WARNING: Location' >&2)
fi
echo "== tests with the ${which} versions: $("$venv/bin/python" -c 'import numpy, pandas, scipy, statsmodels, xlwings; print(f"numpy {numpy.__version__}, pandas {pandas.__version__}, scipy {scipy.__version__}, statsmodels {statsmodels.__version__}, xlwings {xlwings.__version__}")')"
"$venv/bin/python" -m pytest -q -p no:cacheprovider
