"""The Python reference for examples/bench_pix2struct.rs: the Hugging Face Pix2Struct processor
(header rendering with the same DejaVu Sans, patches) + onnxruntime through optimum's
ORTModelForPix2Struct (greedy generate with the KV cache) + batch_decode, on the same items:
the fixture's five images in turn, item i asking "What is the value of series i?". Batch sizes
1 and 8, each timed after one warm-up pass. Run with the fixture virtualenv:
    ~/.cache/evalkit/fixture-venv/bin/python scripts/pix2struct-fixture/bench_reference.py [ITEMS]
"""

import os
import sys
import time

from optimum.onnxruntime import ORTModelForPix2Struct
from PIL import Image
from transformers import Pix2StructProcessor

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
fixture = os.path.join(root, "tests", "fixtures", "pix2struct")
font = os.path.join(root, "assets", "fonts", "DejaVuSans.ttf")
images = ["alpha.png", "bars.png", "tall.png", "tiny.png", "wide.png"]
n = int(sys.argv[1]) if len(sys.argv) > 1 else 64
pngs = [open(os.path.join(fixture, "images", f), "rb").read() for f in images]
items = [(i % len(images), f"What is the value of series {i}?") for i in range(n)]

processor = Pix2StructProcessor.from_pretrained(os.path.join(fixture, "model"))
model = ORTModelForPix2Struct.from_pretrained(os.path.join(fixture, "model"), use_cache=True)


def run(batch):
    import io

    out = []
    for start in range(0, n, batch):
        chunk = items[start : start + batch]
        ims = [Image.open(io.BytesIO(pngs[i])) for i, _ in chunk]
        # The image processor directly: Pix2StructProcessor does not pass the font on, and
        # would fetch Arial from the hub.
        inputs = processor.image_processor(
            images=ims, header_text=[q for _, q in chunk], return_tensors="pt", font_path=font
        )
        ids = model.generate(**inputs)
        out.extend(processor.batch_decode(ids, skip_special_tokens=True))
    return out


for batch in [1, 8]:
    run(batch)
    started = time.perf_counter()
    run(batch)
    secs = time.perf_counter() - started
    print(f"python reference, batch {batch}: {n} items in {secs:.3f} s = {n / secs:.1f} items/s")
