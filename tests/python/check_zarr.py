"""Our OME-Zarr stores, read by independent readers: zarr-python (v3) for the pixels and
ome-zarr-models for the NGFF 0.5 metadata (its warnings count as failures).

  check_zarr.py compare TIFF_RUN_DIR STORE EXPECT_JSON   every OME-TIFF plane equals the store's
  check_zarr.py same STORE_A STORE_B                      two stores hold identical pixels
  check_zarr.py positions STORE EXPECT_JSON                a positions store's images validate and hold data
  check_zarr.py opens STORE                               a store (maybe cut short) validates and reads
"""

import json
import os
import re
import sys
import warnings

import numpy as np
import tifffile
import zarr
from ome_zarr_models.v05.hcs import HCS
from ome_zarr_models.v05.image import Image

warnings.simplefilter("error")


def images(store):
    """(path, image group) of every field: a plate's wells' fields, or the images a
    positions store's root lists."""
    root = zarr.open_group(store, mode="r")
    if "plate" not in root.attrs.get("ome", {}):
        out = []
        for path in root.attrs["squidctl"]["images"]:
            Image.from_zarr(root[path])
            out.append((path, root[path]))
        return root, None, out
    hcs = HCS.from_zarr(root)
    out = []
    for well in hcs.ome_attributes.plate.wells:
        wg = root[well.path]
        for im in wg.attrs["ome"]["well"]["images"]:
            g = wg[im["path"]]
            Image.from_zarr(g)
            out.append((f"{well.path}/{im['path']}", g))
    return root, hcs, out


def compare(tiff_run, store, expect):
    root, hcs, fields = images(store)
    plate = hcs.ome_attributes.plate
    assert [w.path for w in plate.wells] == expect["wells"], [w.path for w in plate.wells]
    assert len(plate.rows) == expect["rows"] and len(plate.columns) == expect["columns"]
    assert len(fields) == len(expect["wells"]) * expect["fields"], len(fields)
    arrays = {}
    for path, g in fields:
        ome = g.attrs["ome"]
        ms = ome["multiscales"][0]
        assert [a["name"] for a in ms["axes"]] == ["t", "c", "z", "y", "x"], ms["axes"]
        assert [a.get("unit") for a in ms["axes"]] == ["second", None, "micrometer", "micrometer", "micrometer"]
        scale = ms["datasets"][0]["coordinateTransformations"][0]["scale"]
        want = [expect["dt_s"], 1, expect["z_step_um"], expect["pixel_um"], expect["pixel_um"]]
        assert np.allclose(scale, want), (scale, want)
        shift = ms["datasets"][0]["coordinateTransformations"][1]["translation"]
        assert len(shift) == 5 and shift[3] != 0 and shift[4] != 0, shift
        labels = [c["label"] for c in ome["omero"]["channels"]]
        assert labels == expect["channels"], labels
        a = g["0"]
        assert list(a.shape) == expect["shape"], a.shape
        assert a.dtype == np.uint16
        arrays[path] = a[:]
    checked = 0
    pattern = re.compile(r"^(.+)_(\d+)_(.+)\.ome\.tiff$")
    taken = set()
    for t in sorted(os.listdir(tiff_run)):
        if not t.isdigit():
            continue
        for name in sorted(os.listdir(os.path.join(tiff_run, t))):
            m = pattern.match(name)
            if not m:
                continue
            well, fov, channel = m.groups()
            path = f"{well[0]}/{well[1:]}/{fov}"
            c = expect["channels"].index(channel)
            stack = tifffile.imread(os.path.join(tiff_run, t, name))
            if stack.ndim == 2:
                stack = stack[np.newaxis]
            got = arrays[path][int(t), c]
            assert got.shape == stack.shape, (path, got.shape, stack.shape)
            assert np.array_equal(got, stack), f"{path} t={t} {channel}: pixels differ"
            taken.add((path, int(t), c))
            checked += stack.shape[0]
    # What was never acquired (a channel's off time points) reads as the fill value.
    for path, a in arrays.items():
        for t in range(a.shape[0]):
            for c in range(a.shape[1]):
                if (path, t, c) not in taken:
                    assert not a[t, c].any(), f"{path} t={t} c={c} should be empty"
    assert checked == expect["planes"], (checked, expect["planes"])
    print(f"{checked} planes identical in {len(fields)} fields")


def positions(store, expect):
    _, _, fields = images(store)
    assert [p for p, _ in fields] == expect["images"], [p for p, _ in fields]
    for path, g in fields:
        a = g["0"][:]
        assert list(a.shape) == expect["shape"], (path, a.shape)
        assert all(a[0, c, z].any() for c in range(a.shape[1]) for z in range(a.shape[2])), path
    print(f"{len(fields)} position fields")


def same(a, b):
    _, _, fa = images(a)
    _, _, fb = images(b)
    assert [p for p, _ in fa] == [p for p, _ in fb]
    for (p, ga), (_, gb) in zip(fa, fb):
        assert np.array_equal(ga["0"][:], gb["0"][:]), f"{p}: pixels differ"
    print(f"{len(fa)} fields identical")


def opens(store):
    _, _, fields = images(store)
    n = sum(int(g["0"][:].reshape(-1, g["0"].shape[-2] * g["0"].shape[-1]).any(axis=1).sum()) for _, g in fields)
    print(f"{len(fields)} fields, {n} planes with data")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "compare":
        compare(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
    elif mode == "same":
        same(sys.argv[2], sys.argv[3])
    elif mode == "positions":
        positions(sys.argv[2], json.loads(sys.argv[3]))
    elif mode == "opens":
        opens(sys.argv[2])
    else:
        sys.exit(f"unknown mode {mode}")
