# Shared by ./run, ./test and .ci/run: make .venv and install the project into it from the
# package registry. Re-installs only when pyproject.toml changed since the last install.
# It says what it does before each slow step, and lets pip show its progress: on a slow machine
# the first install takes minutes, and silence looks like a hang.
ensure_venv() {
  local extra="${1:-}"
  local python="${PYTHON:-python3}"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Python 3.11 or newer is needed (found: $("$python" --version 2>&1))" >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "creating .venv with $("$python" --version 2>&1)" >&2
    "$python" -m venv .venv
  fi
  local stamp=".venv/.installed${extra:+-$extra}"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    if [ -f "$stamp" ]; then
      echo "pyproject.toml changed: updating the dependencies in .venv" >&2
    else
      echo "installing ${extra:+$extra }dependencies into .venv (first run, may take a few minutes)..." >&2
    fi
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install -e ".${extra:+[$extra]}"
    touch "$stamp"
    echo "dependencies installed" >&2
  fi
}
