#!/bin/sh
# No false hang under load: RUNS acquisitions of lit cells with LZW at full speed (the
# simulator with time_scale 0), each with a CPU hog on every core, counting exit codes.
# A saver that cannot keep up is back-pressure (exit 0); only exit 4 would be a hang.
# usage: bench/false-hang.sh [RUNS] [BINARY]
set -u
runs=${1:-20}
bin=${2:-target/release/squidctl}
cd "$(dirname "$0")/.."
[ -x "$bin" ] || cargo build --release -q
dir=$(mktemp -d)
trap 'kill $hogs 2>/dev/null; rm -rf "$dir"' EXIT
sed 's/time_scale: 0.1/time_scale: 0/' microscopes/squid-sim.yaml > "$dir/m.yaml"
hogs=""
for _ in $(seq "$(nproc)"); do yes > /dev/null & hogs="$hogs $!"; done
ok=0; hung=0; other=0
for i in $(seq "$runs"); do
  "$bin" acquire bench/protocols/throughput.yaml --microscope "$dir/m.yaml" \
    --output "$dir/out" --force --set output.compression=lzw \
    --set 'channels[0].intensity=60%' --set 'channels[0].exposure=20ms' > /dev/null 2> "$dir/err"
  rc=$?
  case $rc in 0) ok=$((ok+1));; 4) hung=$((hung+1)); grep HUNG "$dir/err" >&2;; *) other=$((other+1)); tail -3 "$dir/err" >&2;; esac
  waits=$(python3 -c "import json,glob; print(json.load(open(glob.glob('$dir/out/*/run.json')[0]))['counts'].get('backpressure_waits','?'))" 2>/dev/null)
  echo "run $i: exit $rc, back-pressure waits $waits"
  rm -rf "$dir/out"
done
echo "$runs runs under a CPU hog: $ok completed, $hung hung (exit 4), $other other"
[ "$hung" -eq 0 ] && [ "$other" -eq 0 ]
