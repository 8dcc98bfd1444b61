"""Print the 300 ReDial seeker messages hand-labelled in ``crsagent/evals/data/redial_attribute_labels.jsonl``.

    CRSAGENT_DATA_DIR=path/to/datasets .venv/bin/python scripts/sample_redial_label_messages.py > sample.jsonl

Every seeker message of every dialogue of ``redial/valid_data.jsonl``, in file order, as
(conversation_id, message_id, text_resolved); shuffled with ``random.Random(2026)``; the first 300.
One JSON object per line on stdout. The label file stores ids only, so this shows which text each
label line was written for.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from crsagent.config import Settings
from crsagent.data.loaders.redial import DIALOGUES_FILE, MOVIES_FILE, _read_movies, read_dialogues

SEED = 2026
SAMPLE_SIZE = 300


def sample_messages(folder: Path, size: int = SAMPLE_SIZE, seed: int = SEED) -> list[dict[str, str]]:
    """The labelled sample from the ReDial ``folder``: seeker messages in file order, shuffled with
    ``seed``, the first ``size``."""
    titles = _read_movies(folder / MOVIES_FILE)
    rows = [
        {
            "conversation_id": dialogue.conversation_id,
            "message_id": message.message_id,
            "text": message.text_resolved,
        }
        for dialogue in read_dialogues(folder / DIALOGUES_FILE, titles)
        for message in dialogue.seeker_messages()
    ]
    random.Random(seed).shuffle(rows)
    return rows[:size]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=SAMPLE_SIZE, help="how many messages (default 300)")
    args = parser.parse_args()
    if args.size < 1:
        parser.error(f"--size must be at least 1, got {args.size}")
    data_dir = Settings().data_dir
    if data_dir is None:
        parser.error("CRSAGENT_DATA_DIR is not set: point it at the folder holding redial/")
    for row in sample_messages(data_dir / "redial", args.size):
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
