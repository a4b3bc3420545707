#!/usr/bin/env python3
"""Side by side: squidctl, pymmcore-plus (its MDA runner writing through ome-writers) and dd.

Same frames (480 x 2048 x 2048 uint16, 4.03 GB), same directory, contenders alternating
round by round; each one's wall time and CPU time (user + system, from wait4) are measured,
start-up included (Python's imports, squidctl's plan and simulator).
pymmcore-plus's camera is a Python device that copies one pre-made frame per image; squidctl's
is the simulator at zero light (dark frames: its rendering is in its figures).

usage: bench/vs_pymmcore.py DIR [--rounds N] [--busy] [--formats ome-tiff,ome-zarr]
  --busy   a CPU hog on one core for the whole run (the other core is the contenders')
Installs pymmcore-plus 0.18.1 and ome-writers 0.3.2 (tifffile and tensorstore backends)
under target/bench-py on first use.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.path.join(REPO, "target", "bench-py")
FRAMES = 480
FRAME_BYTES = 2048 * 2048 * 2
PACKAGES = ["pymmcore-plus==0.18.1", "ome-writers[tifffile,tensorstore]==0.3.2"]

# The pymmcore-plus contender, run as its own process.
MDA = r'''
import sys, numpy as np, useq
from pymmcore_plus.experimental.unicore import UniMMCore
from pymmcore_plus.experimental.unicore.devices._camera import CameraDevice

FRAME = (100 + np.random.default_rng(1).normal(0, 2, (2048, 2048))).astype(np.uint16)

class Cam(CameraDevice):
    exposure = 0.1
    def get_exposure(self): return self.exposure
    def set_exposure(self, e): self.exposure = e
    def shape(self): return FRAME.shape
    def dtype(self): return np.uint16
    def start_sequence(self, n, get_buffer):
        k = 0
        while n is None or k < n:
            get_buffer(FRAME.shape, np.uint16)[:] = FRAME
            k += 1
            yield {}

core = UniMMCore()
core.loadPyDevice("Cam", Cam())
core.initializeDevice("Cam")
core.setCameraDevice("Cam")
# A Python camera has no pixel-size configuration; ome-writers needs one above zero.
core.getPixelSizeUm = lambda *a: 0.325
# No channel: a channel needs a configuration group, which a Python-only core lacks.
seq = useq.MDASequence(time_plan={"interval": 0, "loops": int(sys.argv[2])})
# One snap per frame: sequenced, the camera outruns the writer and the run ends with
# "Buffer overflowed" after 243-359 of 480 frames (the default circular buffer).
core.setAutoShutter(False)
core.mda.engine.use_hardware_sequencing = False
core.run_mda(seq, output=sys.argv[1], block=True)
'''


def install():
    if not os.path.isdir(os.path.join(PY, "pymmcore_plus")):
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--target", PY, *PACKAGES],
            check=True,
        )


def measured(cmd, env=None):
    """(wall s, CPU s) of one child process; raises on a non-zero exit."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=REPO)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd[0]} failed: {err[-2000:]}")
    return wall, ru.ru_utime + ru.ru_stime


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--busy", action="store_true")
    ap.add_argument("--formats", default="ome-tiff,ome-zarr")
    ap.add_argument("--squidctl", default=os.path.join(REPO, "target", "release", "squidctl"))
    a = ap.parse_args()
    install()
    if not os.path.exists(a.squidctl):
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=REPO, check=True)
    work = tempfile.mkdtemp(dir=a.dir, prefix="vs-pymmcore-")
    micro = os.path.join(work, "m.yaml")
    with open(os.path.join(REPO, "microscopes", "squid-sim.yaml")) as f:
        open(micro, "w").write(f.read().replace("time_scale: 0.1", "time_scale: 0"))
    env = dict(os.environ, PYTHONPATH=PY)
    hog = subprocess.Popen(["taskset", "-c", "0", "yes"], stdout=subprocess.DEVNULL) if a.busy else None
    results = {}
    try:
        for r in range(a.rounds):
            for fmt in a.formats.split(","):
                ext = {"ome-tiff": "ome.tiff", "ome-zarr": "ome.zarr"}[fmt]
                out = os.path.join(work, "out")
                contenders = [
                    ("squidctl", [a.squidctl, "acquire", "bench/protocols/throughput.yaml",
                                  "--microscope", micro, "--output", out, "--force",
                                  "--set", f"output.format={fmt}", "--set", "z.count=4"], None),
                    ("pymmcore-plus", [sys.executable, "-c", MDA, os.path.join(out, f"run.{ext}"),
                                       str(FRAMES)], env),
                ]
                if fmt == a.formats.split(",")[0]:
                    contenders.append(("dd", ["dd", "if=/dev/zero", f"of={os.path.join(out, 'dd')}",
                                              "bs=8M", f"count={FRAMES}", "conv=fsync"], None))
                # Alternate who goes first, round by round.
                if r % 2:
                    contenders.reverse()
                for name, cmd, e in contenders:
                    shutil.rmtree(out, ignore_errors=True)
                    os.makedirs(out)
                    wall, cpu = measured(cmd, e)
                    size = du(out)
                    if size < FRAMES * FRAME_BYTES:
                        raise SystemExit(f"{name} wrote {size} bytes, not {FRAMES} frames")
                    key = (fmt if name != "dd" else "dd", name)
                    results.setdefault(key, []).append((size / 1e6 / wall, cpu * 1000 / FRAMES, size))
                    print(f"round {r + 1} {fmt:8} {name:14} {size / 1e9:.2f} GB {wall:6.2f} s "
                          f"{size / 1e6 / wall:6.0f} MB/s  CPU {cpu * 1000 / FRAMES:5.1f} ms/frame",
                          flush=True)
                shutil.rmtree(out, ignore_errors=True)
    finally:
        if hog:
            hog.kill()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nmedians of {a.rounds} rounds{' with a CPU hog' if a.busy else ''}:")
    for fmt in a.formats.split(",") + ["dd"]:
        rows = {n: v for (f, n), v in results.items() if f == fmt}
        if not rows:
            continue
        med = {n: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v))
               for n, v in rows.items()}
        line = ", ".join(f"{n} {mb:.0f} MB/s {ms:.1f} ms/frame" for n, (mb, ms) in med.items())
        if "squidctl" in med and "pymmcore-plus" in med:
            line += f"; squidctl/pymmcore-plus {med['squidctl'][0] / med['pymmcore-plus'][0]:.2f}x"
        print(f"  {fmt}: {line}")


if __name__ == "__main__":
    main()
