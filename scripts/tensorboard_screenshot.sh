#!/usr/bin/env bash
# The README's HParams screenshot (docs/tensorboard-hparams.png): TensorBoard on a free local port over LOGDIR
# (written by `pytest benchmarks … --tp2-tensorboard LOGDIR` or `tp2 report --tensorboard`), the HParams
# dashboard rendered by headless chromium (Debian: apt-get install -y chromium), the server stopped.
#   scripts/tensorboard_screenshot.sh LOGDIR [OUT.png]
set -euo pipefail
logdir=${1:?usage: scripts/tensorboard_screenshot.sh LOGDIR [OUT.png]}
out=${2:-docs/tensorboard-hparams.png}
python=${PYTHON:-python}
log=$(mktemp)
"$python" -m tensorboard.main --logdir "$logdir" --host 127.0.0.1 --port 0 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$log"' EXIT
url=
for _ in $(seq 1 60); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" || true)
  [ -n "$url" ] && break
  sleep 1
done
[ -n "$url" ] || { echo "TensorBoard did not start:"; cat "$log"; exit 1; }
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1600,1000 \
  --virtual-time-budget=20000 --screenshot="$out" "$url/?darkMode=false#hparams"
echo "wrote $out from $logdir"
