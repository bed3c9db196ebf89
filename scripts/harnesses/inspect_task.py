"""inspect_ai task for the harness comparison (scripts/compare-harnesses.sh): the chart
items of items.jsonl (make_items.py), each one user message with the chart and the prompt
evalkit's synthchart card uses, answered in one generation and scored by `match()`.

inspect eval scripts/harnesses/inspect_task.py -T items=/abs/items.jsonl --model openai-api/mock/mock ...

(inspect wants the task file as a path relative to the working directory.)
"""

from inspect_ai import Task, task
from inspect_ai.dataset import Sample, json_dataset
from inspect_ai.model import ChatMessageUser, ContentImage, ContentText, GenerateConfig
from inspect_ai.scorer import match
from inspect_ai.solver import generate

PROMPT = "{question}\nAnswer the question using a single word or phrase."


def record_to_sample(record):
    content = [
        ContentText(text=PROMPT.format(question=record["question"])),
        ContentImage(image=record["image"]),
    ]
    return Sample(
        id=record["id"],
        input=[ChatMessageUser(content=content)],
        target=str(record["answer"]),
    )


@task
def evalkit_charts(items: str):
    return Task(
        dataset=json_dataset(items, record_to_sample),
        solver=generate(),
        scorer=match(),
        config=GenerateConfig(max_tokens=16, temperature=0.0),
    )
