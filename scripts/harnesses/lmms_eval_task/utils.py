"""Functions of the lmms-eval task `evalkit_charts` (scripts/compare-harnesses.sh).

The image is handed over as its PNG path, which lmms-eval's `openai` model opens and
encodes itself; the prompt is the one evalkit's synthchart card uses.
"""


def doc_to_visual(doc):
    return [doc["image"]]


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    return f"{doc['question']}\nAnswer the question using a single word or phrase."


def process_results(doc, results):
    pred = results[0].strip().lower()
    return {"exact_match": 1.0 if pred == str(doc["answer"]).strip().lower() else 0.0}
