"""Shared by the simulator tests: a tiny movie dataset with real-looking titles, agent replies built
by hand, and a fake agent that plays a fixed list of replies and records what it was told."""

from __future__ import annotations

from collections.abc import Sequence

from crsagent.agent.reply import Question, Reply, ReplyItem, Trace
from crsagent.agent.turns import UserTurn
from crsagent.data.catalog import Catalog
from crsagent.data.dataset import Dataset
from crsagent.data.interactions import Interactions
from crsagent.data.item import Item

MOVIES = [
    (
        "m1",
        "Toy Story (1995)",
        {"genre": ["Animation", "Comedy"], "director": ["John Lasseter"], "tag": ["pixar", "toy story"]},
    ),
    ("m2", "Matrix, The (1999)", {"genre": ["Action", "Sci-Fi"], "director": ["Lana Wachowski"]}),
    (
        "m3",
        "Heat (1995)",
        {"genre": ["Action", "Crime"], "director": ["Michael Mann"], "cast": ["Al Pacino"]},
    ),
    ("m4", "Alien (1979)", {"genre": ["Horror", "Sci-Fi"], "director": ["Ridley Scott"]}),
    ("m5", "Amelie (2001)", {"genre": ["Comedy", "Romance"], "director": ["Jean-Pierre Jeunet"]}),
    ("m6", "Toy Story 2 (1999)", {"genre": ["Animation", "Comedy"], "director": ["John Lasseter"]}),
    ("m7", "Casablanca (1942)", {"genre": ["Drama", "Romance"], "director": ["Michael Curtiz"]}),
    ("m8", "Up (2009)", {"genre": ["Animation", "Adventure"], "director": ["Pete Docter"], "tag": ["pixar"]}),
]


def movie_dataset() -> Dataset:
    """Eight movies; user 0 liked m2, m3, m4, m6 in train (m6 shares the name of target m1)."""
    items = [Item(id=i, title=t, attributes=a) for i, t, a in MOVIES]
    users = ["u0", "u1"]
    train = Interactions.from_pairs(users, [(0, 1), (0, 2), (0, 3), (0, 5), (1, 4)])
    test = Interactions.from_pairs(users, [(0, 0), (1, 6)])
    empty = Interactions.from_pairs(users, [])
    everything = Interactions.from_pairs(users, [*train.pairs(), *test.pairs()])
    return Dataset(
        name="tiny-movies",
        catalog=Catalog(items, name="tiny-movies"),
        interactions=everything,
        positives=everything,
        splits={"train": train, "valid": empty, "test": test},
    )


def trace(decision: str = "ask", **fields: object) -> Trace:
    return Trace.model_validate({"mode": "offline", "turn": 1, "decision": decision, **fields})


def ask(attribute: str, *values: str) -> Reply:
    question = Question(attribute=attribute, values=list(values), text=f"Which {attribute}? {values}")
    return Reply(session_id="s", text=question.text, question=question, trace=trace("ask"))


def show(*items: tuple[str, str] | str, question: Question | None = None) -> Reply:
    shown = [
        ReplyItem(id=i, title=f"Item {i}") if isinstance(i, str) else ReplyItem(id=i[0], title=i[1])
        for i in items
    ]
    text = "Here are some: " + ", ".join(item.title for item in shown)
    return Reply(session_id="s", text=text, items=shown, question=question, trace=trace("recommend"))


def greet() -> Reply:
    return Reply(session_id="s", text="Hello! What would you like?", trace=trace("greet"))


class FakeAgent:
    """Plays ``replies`` in order (the last one again when they run out); records every call."""

    def __init__(self, replies: Sequence[Reply], *, fail_at: int | None = None) -> None:
        self.replies = list(replies)
        self.fail_at = fail_at
        self.calls: list[tuple[str, str, UserTurn | None, int | None]] = []
        self.resets: list[str] = []

    def chat(
        self, text: str, *, session_id: str, turn: UserTurn | None = None, user: int | None = None
    ) -> Reply:
        self.calls.append((text, session_id, turn, user))
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            raise RuntimeError("the agent broke")
        position = min(len(self.calls), len(self.replies)) - 1
        return self.replies[position].model_copy(update={"session_id": session_id})

    def reset(self, session_id: str) -> None:
        self.resets.append(session_id)
