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
        # A file cut short holds its complete rectangle and the partial row as two series.
        all_series = tif.series
        assert len(all_series) in (1, 2), (path, len(all_series))
        assert len(all_series) == 1 or rec["planes"] < rec["expected"], (path, "split but complete")
        series = all_series[0]
        if expect["ome"]:
            if len(all_series) == 1:
                # tifffile drops axes of size 1 (a cut-short FOV file may hold one z level).
                axes = expect["axes"] if rec["planes"] > 1 else expect["axes"].lstrip("ZC")
                assert series.axes.endswith("YX") and set(series.axes) <= set(axes), (path, series.axes, axes)
                n = 1
                for d in series.shape[:-2]:
                    n *= d
                assert n == rec["planes"] and list(series.shape[-2:]) == expect["yx"], (path, series.shape)
            root = ET.fromstring(tif.ome_metadata)
            declared = 0
            for px in root.findall("ome:Image/ome:Pixels", ns):
                declared += int(px.get("SizeZ")) * int(px.get("SizeC")) * int(px.get("SizeT"))
            assert declared == rec["planes"], (path, "declares", declared, "holds", rec["planes"])
            pixels = root.find("ome:Image/ome:Pixels", ns)
            assert abs(float(pixels.get("PhysicalSizeX")) - expect["pixel_um"]) < 1e-9
            assert pixels.get("PhysicalSizeXUnit") == "µm", pixels.get("PhysicalSizeXUnit")
            if "z_step_um" in expect and rec["planes"] > 1 and int(pixels.get("SizeZ")) > 1:
                assert abs(float(pixels.get("PhysicalSizeZ")) - expect["z_step_um"]) < 1e-9
            names = [c.get("Name") for c in root.findall("ome:Image/ome:Pixels/ome:Channel", ns)]
            assert names and all(n in expect["channels"] for n in names), names
            planes = root.findall("ome:Image/ome:Pixels/ome:Plane", ns)
            assert len(planes) == rec["planes"]
            assert all(p.get("PositionXUnit") == "mm" and p.get("ExposureTime") for p in planes)
        pages = []
        for s in all_series:
            data = s.asarray()
            pages.extend(data.reshape((-1,) + tuple(data.shape[-2:])))
        assert len(pages) == rec["planes"], (path, len(pages))
        for i, page in enumerate(pages):
            crc = zlib.crc32(page.astype("<u2").tobytes())
            assert crc == rec["plane_crc32"][i], (path, i, crc, rec["plane_crc32"][i])
assert not records, f"tifffile warned: {records}"
print(f"OK {len(files)} files")
