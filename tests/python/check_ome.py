"""Read a squidctl run's images back with tifffile, an independent reader.

Usage: check_ome.py RUN_DIR EXPECT_JSON

For every file the journal lists, check that tifffile opens it without warnings, sees the
expected kind (OME or plain, BigTIFF or not), axes, shape, physical sizes and channel names,
and that each plane's pixels have the CRC-32 squidctl computed from the simulator's frames
before writing them.
"""
import json
import logging
import sys
import warnings
import xml.etree.ElementTree as ET
import zlib

import tifffile

warnings.simplefilter("error")
records = []


class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())


logging.getLogger("tifffile").addHandler(Keep())
logging.getLogger("tifffile").setLevel(logging.WARNING)

run_dir, expect = sys.argv[1], json.loads(sys.argv[2])
with open(f"{run_dir}/journal.jsonl", encoding="utf-8") as journal:
    files = [json.loads(l) for l in journal if '"kind":"file"' in l]
assert files, "the journal lists no files"
ns = {"ome": "http://www.openmicroscopy.org/Schemas/OME/2016-06"}
for rec in files:
    path = f"{run_dir}/{rec['path']}"
    with tifffile.TiffFile(path) as tif:
        assert tif.is_ome == expect["ome"], (path, "is_ome", tif.is_ome)
        assert tif.is_bigtiff == expect.get("bigtiff", False), (path, "is_bigtiff")
        assert len(tif.pages) == rec["planes"], (path, len(tif.pages), rec["planes"])
        series = tif.series[0]
        if expect["ome"]:
            axes = expect["axes"] if rec["planes"] > 1 else expect["axes"].lstrip("ZC")
            assert series.axes == axes, (path, series.axes, axes)
            assert series.shape[0 if rec["planes"] > 1 else -2:] == tuple(
                ([rec["planes"]] if rec["planes"] > 1 else []) + expect["yx"]
            ), (path, series.shape)
            root = ET.fromstring(tif.ome_metadata)
            pixels = root.find("ome:Image/ome:Pixels", ns)
            assert abs(float(pixels.get("PhysicalSizeX")) - expect["pixel_um"]) < 1e-9
            assert pixels.get("PhysicalSizeXUnit") == "µm", pixels.get("PhysicalSizeXUnit")
            if "z_step_um" in expect and rec["planes"] > 1:
                assert abs(float(pixels.get("PhysicalSizeZ")) - expect["z_step_um"]) < 1e-9
            names = [c.get("Name") for c in pixels.findall("ome:Channel", ns)]
            assert names and all(n in expect["channels"] for n in names), names
            planes = pixels.findall("ome:Plane", ns)
            assert len(planes) == rec["planes"]
            assert all(p.get("PositionXUnit") == "mm" and p.get("ExposureTime") for p in planes)
        data = series.asarray()
        pages = data.reshape((-1,) + tuple(data.shape[-2:]))
        assert len(pages) == rec["planes"], (path, pages.shape)
        for i, page in enumerate(pages):
            crc = zlib.crc32(page.astype("<u2").tobytes())
            assert crc == rec["plane_crc32"][i], (path, i, crc, rec["plane_crc32"][i])
assert not records, f"tifffile warned: {records}"
print(f"OK {len(files)} files")
