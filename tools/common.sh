# Sourced by the project's bash scripts: strict mode, a line naming the script, line and command of any failure, and
# the toolchain's environment.
set -Eeuo pipefail
trap 'hl_rc=$?; [ "$BASH_SUBSHELL" = 0 ] && echo "${BASH_SOURCE[0]##*/}: line ${LINENO}: \`${BASH_COMMAND}\` failed (exit status ${hl_rc})" >&2' ERR
# Emscripten (Debian's) runs under Debian's Python, the one its package is built for: through a pyenv shim first in PATH,
# every emcc call (one per compiled file) costs about 0.5 s more CPU.
if [ -x /usr/bin/python3 ]; then export EMSDK_PYTHON=/usr/bin/python3; fi
