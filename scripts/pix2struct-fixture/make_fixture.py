"""Makes evalkit's Pix2Struct fixture: a tiny random-weight Pix2Struct exported in the Hugging
Face Optimum layout, fixture images, the reference preprocessing's patch tensors and the
reference greedy tokens. Run through make.sh (which installs the reference stack); CI never
runs this, it uses the committed outputs.

Writes into --out:
  model/              encoder_model.onnx, decoder_model_merged.onnx, decoder_model.onnx,
                      decoder_with_past_model.onnx, config.json, generation_config.json,
                      preprocessor_config.json (is_vqa = true, max_patches = 256),
                      tokenizer.json (+ the tokenizer's small config files)
  images/*.png        the fixture images
  patches/*.f32       reference flattened_patches ([256, 770] float32, little endian)
  reference.json      per case: image, mode (vqa: header rendered with --font; plain: no
                      header), the patch grid, the greedy tokens of transformers' generate
                      (checked equal to onnxruntime through optimum), the decoded text
"""

import argparse
import json
import math
import os
import shutil
import tempfile

import numpy as np
import torch
from PIL import Image, ImageDraw
from transformers import (
    GenerationConfig,
    Pix2StructConfig,
    Pix2StructForConditionalGeneration,
    Pix2StructImageProcessor,
    T5TokenizerFast,
)

MAX_PATCHES = 256
MAX_NEW_TOKENS = 24

CORPUS = [
    "the value of the bar is 42.5 percent",
    "year 2019 2020 2021 2022 revenue cost profit",
    "TITLE | Sales by region <0x0A> Region | Sales <0x0A> North | 12 <0x0A> South | 7.5",
    "what is the highest value in the chart",
    "how many bars are there? 3 4 5 6 7 8 9 10",
    "the line crosses the axis at 0.25 and 1.75",
    "Product A Product B Product C total average median",
    "blue red green orange purple legend label axis",
] * 4


def tokenizer():
    """A small hand-built Unigram vocabulary (deterministic, unlike training): the specials,
    whole words of the corpus with the SentencePiece word marker, then single characters."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import Unigram

    words = sorted({w for line in CORPUS for w in line.split()})
    chars = sorted({c for line in CORPUS for c in line if not c.isspace()})
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -3.0)]
    vocab += [("\u2581" + w, -2.0 - 0.01 * i) for i, w in enumerate(words)]
    vocab += [(c, -6.0 - 0.01 * i) for i, c in enumerate(chars)]
    vocab += [("\u2581" + c, -7.0 - 0.01 * i) for i, c in enumerate(chars)]
    seen, unique = set(), []
    for piece, score in vocab:
        if piece not in seen:
            seen.add(piece)
            unique.append((piece, score))
    raw = Tokenizer(Unigram(unique, unk_id=2))
    raw.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace("  ", " ")])
    raw.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    raw.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok = T5TokenizerFast(
        tokenizer_object=raw,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        extra_ids=0,
    )
    assert tok.pad_token_id == 0 and tok.eos_token_id == 1, (tok.pad_token_id, tok.eos_token_id)
    return tok


def model(vocab_size):
    torch.manual_seed(0)
    config = Pix2StructConfig(
        text_config=dict(
            vocab_size=vocab_size,
            hidden_size=32,
            d_kv=8,
            d_ff=64,
            num_layers=2,
            num_heads=4,
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        ),
        vision_config=dict(
            hidden_size=32,
            d_ff=64,
            d_kv=8,
            num_hidden_layers=2,
            num_attention_heads=4,
        ),
        is_vqa=True,
    )
    m = Pix2StructForConditionalGeneration(config).eval()
    m.generation_config = GenerationConfig(
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
        max_new_tokens=MAX_NEW_TOKENS,
        do_sample=False,
    )
    return m


def images():
    """name -> PIL image: bars, a tall line chart, a tiny image (upsampled), an RGBA image
    (alpha dropped as PIL's convert("RGB") does), a wide image."""
    out = {}
    im = Image.new("RGB", (320, 240), "white")
    d = ImageDraw.Draw(im)
    d.line([(30, 210), (310, 210)], fill="black", width=2)
    d.line([(30, 10), (30, 210)], fill="black", width=2)
    for i, (h, c) in enumerate([(120, "#1f77b4"), (180, "#ff7f0e"), (60, "#2ca02c"), (150, "#d62728")]):
        d.rectangle([50 + i * 65, 210 - h, 95 + i * 65, 209], fill=c)
    out["bars"] = im
    im = Image.new("RGB", (180, 300), (250, 250, 245))
    d = ImageDraw.Draw(im)
    pts = [(10 + i * 20, 280 - int(120 + 100 * math.sin(i / 1.3))) for i in range(9)]
    d.line(pts, fill=(20, 60, 200), width=3)
    for p in pts:
        d.ellipse([p[0] - 3, p[1] - 3, p[0] + 3, p[1] + 3], fill=(200, 30, 30))
    out["tall"] = im
    rng = np.random.default_rng(7)
    out["tiny"] = Image.fromarray(rng.integers(0, 256, (28, 40, 3), dtype=np.uint8), "RGB")
    rgba = np.zeros((150, 200, 4), dtype=np.uint8)
    rgba[..., 0] = np.linspace(0, 255, 200, dtype=np.uint8)[None, :]
    rgba[..., 1] = np.linspace(255, 0, 150, dtype=np.uint8)[:, None]
    rgba[..., 2] = 90
    rgba[..., 3] = 255
    rgba[40:110, 50:150, 3] = 0
    out["alpha"] = Image.fromarray(rgba, "RGBA")
    im = Image.new("RGB", (900, 260), "white")
    d = ImageDraw.Draw(im)
    for i in range(30):
        d.rectangle([10 + i * 29, 250 - 7 * i, 30 + i * 29, 250], fill=(i * 8, 100, 255 - i * 8))
    out["wide"] = im
    return out


QUESTIONS = {
    "bars": "What is the value of the tallest bar?",
    "tall": "How many points are above 200?",
    "tiny": "Generate underlying data table of the figure below:",
    "alpha": "Is the colour in the top left corner darker than the colour in the bottom right corner of the chart?",
    "wide": "Which bar is the highest, and by how much does it exceed the average of all thirty bars shown?",
}

# Cases whose patch tensors are committed (each 788 KB).
PATCHES = [("bars", "plain"), ("tall", "plain"), ("alpha", "vqa"), ("bars", "vqa")]


# Header texts whose wrapping and PIL text box evalkit must reproduce exactly (the box fixes
# the header's size, and so the patch grid).
TEXTS = [
    "What is the value of the tallest bar?",
    "Generate underlying data table of the figure below:",
    "AV To Ty Wa Yo fi ffl",
    "1,234.5% ($12) [x] {y} <z> 3/4 a_b a-b a+b=c #1 @2 ~3 ^4 &5 *6 !7 ?8 ;9 :0 'q' \"p\" |",
    "gjpqy QJ ()[]{} ,;",
    "é° µ ± × ÷ € £ ¥ ©",
    "In which year was the difference between the highest and the lowest value of the blue line the greatest, and by how much?",
    "A well-known self-explanatory chart-to-table conversion with extraordinarilylongwordsthatcannotbebrokenanywhereatallbecausetheyareverylongindeed ok",
    "   leading and   internal\tspaces\nand a newline  ",
    "",
] + [chr(c) for c in range(33, 127)]


def text_boxes(font_path):
    import textwrap

    from PIL import ImageFont

    font = ImageFont.truetype(font_path, encoding="UTF-8", size=36)
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1), "white"))
    out = []
    for text in TEXTS:
        wrapped = "\n".join(textwrap.TextWrapper(width=80).wrap(text=text))
        out.append({"text": text, "wrapped": wrapped, "box": list(draw.textbbox((0, 0), wrapped, font))})
    return out


def descents(font_path, out_path):
    """The hinted ink descent below the baseline, in pixels at 36 px, of every character of the
    font that reaches below it, as Pillow (FreeType's hinting) measures it: evalkit's header
    layout reads the table, since unhinted outlines cannot predict the rounding."""
    from fontTools.ttLib import TTFont
    from PIL import ImageFont

    font = ImageFont.truetype(font_path, encoding="UTF-8", size=36)
    ascent = font.getmetrics()[0]
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1), "white"))
    cmap = TTFont(font_path).getBestCmap()
    rows = []
    for cp in sorted(cmap):
        if cp < 0x20 or 0xD800 <= cp <= 0xDFFF:
            continue
        try:
            bottom = draw.textbbox((0, 0), chr(cp), font)[3]
        except RuntimeError:  # raqm refuses a few control and format characters
            continue
        if bottom > ascent:
            rows.append(f"{cp:04X} {bottom - ascent}")
    with open(out_path, "w") as f:
        f.write("# Hinted descents of DejaVu Sans at 36 px below the baseline (Pillow/FreeType), one\n")
        f.write("# `codepoint-hex pixels` per line, for characters that reach below the baseline.\n")
        f.write("# Made by scripts/pix2struct-fixture/make.sh; read by src/adapter/onnx/image2text/header.rs.\n")
        f.write("\n".join(rows) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--font", required=True)
    args = ap.parse_args()
    out = args.out
    font_bytes = open(args.font, "rb").read()
    for sub in ["model", "images", "patches"]:
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
        os.makedirs(os.path.join(out, sub))

    descents(args.font, os.path.join(os.path.dirname(args.font), "DejaVuSans-descents-36px.txt"))
    tok = tokenizer()
    m = model(len(tok))
    vqa = Pix2StructImageProcessor(is_vqa=True, max_patches=MAX_PATCHES)
    plain = Pix2StructImageProcessor(is_vqa=False, max_patches=MAX_PATCHES)

    with tempfile.TemporaryDirectory() as tmp:
        m.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        vqa.save_pretrained(tmp)
        from optimum.exporters.onnx import main_export

        main_export(tmp, output=os.path.join(out, "model"), task="image-to-text-with-past")
    for f in os.listdir(os.path.join(out, "model")):
        if f.endswith((".safetensors", ".bin")) or f == "special_tokens_map.json":
            os.remove(os.path.join(out, "model", f))

    from optimum.onnxruntime import ORTModelForPix2Struct

    ort_model = ORTModelForPix2Struct.from_pretrained(os.path.join(out, "model"), use_cache=True)

    imgs = images()
    for name, im in imgs.items():
        im.save(os.path.join(out, "images", f"{name}.png"))

    cases = []
    batches = {"vqa": [], "plain": []}
    for mode, proc in [("vqa", vqa), ("plain", plain)]:
        for name, im in imgs.items():
            kw = {"header_text": QUESTIONS[name], "font_bytes": font_bytes} if mode == "vqa" else {}
            # Read back the PNG, as evalkit does.
            pil = Image.open(os.path.join(out, "images", f"{name}.png"))
            enc = proc(images=pil, return_tensors="pt", **kw)
            fp = enc["flattened_patches"]
            mask = enc["attention_mask"]
            n = int(mask.sum())
            rows, cols = int(fp[0, n - 1, 0]), int(fp[0, n - 1, 1])
            with torch.no_grad():
                tokens = m.generate(flattened_patches=fp, attention_mask=mask)[0].tolist()
                ort_tokens = ort_model.generate(flattened_patches=fp, attention_mask=mask)[0].tolist()
            assert tokens == ort_tokens, (name, mode, tokens, ort_tokens)
            tokens = tokens[1:]  # drop decoder_start_token_id
            while tokens and tokens[-1] == 0:
                tokens.pop()
            case = {
                "image": f"{name}.png",
                "mode": mode,
                "header": QUESTIONS[name] if mode == "vqa" else None,
                "rows": rows,
                "cols": cols,
                "patches": None,
                "tokens": tokens,
                "text": tok.decode(tokens, skip_special_tokens=True),
                "stopped_at_eos": bool(tokens) and tokens[-1] == 1,
            }
            if (name, mode) in PATCHES:
                rel = f"patches/{name}-{mode}.f32"
                fp[0].numpy().astype("<f4").tofile(os.path.join(out, rel))
                case["patches"] = rel
            cases.append(case)
            batches[mode].append((fp, mask))
        # The batched reference: every image of the mode in one generate call.
        fp = torch.cat([b[0] for b in batches[mode]])
        mask = torch.cat([b[1] for b in batches[mode]])
        with torch.no_grad():
            batched = m.generate(flattened_patches=fp, attention_mask=mask).tolist()
        for row, case in zip(batched, [c for c in cases if c["mode"] == mode]):
            row = row[1:]
            while row and row[-1] == 0:
                row.pop()
            assert row == case["tokens"], ("batched generate differs", case["image"], mode)

    for c in cases:
        print(c["mode"], c["image"], c["rows"], c["cols"], len(c["tokens"]), c["stopped_at_eos"], repr(c["text"]))
    stops = [c["stopped_at_eos"] for c in cases]
    assert any(stops) and not all(stops), f"want some sequences stopping at </s> and some not: {stops}"
    distinct = {tuple(c["tokens"]) for c in cases}
    assert len(distinct) >= len(cases) - 2, "the random model barely depends on its input"
    ref = {
        "text_boxes": text_boxes(args.font),
        "generator": "scripts/pix2struct-fixture/make.sh",
        "max_patches": MAX_PATCHES,
        "max_new_tokens": MAX_NEW_TOKENS,
        "font": "assets/fonts/DejaVuSans.ttf",
        "cases": cases,
    }
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
