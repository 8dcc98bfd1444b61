"""The template user: the rule user's decisions in varied, reproducible words, with typos where asked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.simulators import RuleUser, Target, TemplateConfig, TemplateUser, make_simulator
from crsagent.simulators.phrasings import load_phrasings
from crsagent.simulators.render import display_title
from tests.knowledge_graph.tiny_data import tiny_dataset
from tests.simulators.helpers import ask, greet, movie_dataset, show

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph.from_dataset(tiny_dataset())


@pytest.fixture(scope="module")
def movies() -> KnowledgeGraph:
    return KnowledgeGraph.from_dataset(movie_dataset())


def _conversation(user: RuleUser, target: Target) -> list[str]:
    """The user's messages against a fixed run of agent replies."""
    texts = [user.start(target).text]
    for reply in (
        ask("tag", "rock"),
        ask("tag", "pop", "jazz", "soul"),
        show("i1", "i2"),
        greet(),
        show(target.item_id),
    ):
        texts.append(user.reply(reply).text)
    return texts


def test_it_sends_text_only(kg: KnowledgeGraph) -> None:
    user = make_simulator("template", kg=kg)
    assert isinstance(user, TemplateUser)
    first = user.start(Target(item_id="i3"))
    assert first.turn is None and first.text


def test_the_same_seed_and_target_give_the_same_words(kg: KnowledgeGraph) -> None:
    target = Target(item_id="i4", user=1)
    first = _conversation(TemplateUser(kg, seed=5), target)
    again = TemplateUser(kg, seed=5)
    _conversation(again, Target(item_id="i0"))  # another episode first changes nothing
    assert _conversation(again, target) == first
    assert _conversation(TemplateUser(kg, seed=6), target) != first


def test_it_makes_the_rule_users_decisions(kg: KnowledgeGraph) -> None:
    """Same seed: the template user opens with the value the rule user names, and decides alike."""
    for item in kg.catalog.items[:20]:
        target = Target(item_id=item.id, user=0)
        rule = RuleUser(kg, seed=2)
        template = TemplateUser(kg, seed=2, config=TemplateConfig(lowercase_rate=0, typo_rate=0))
        opening = rule.start(target)
        assert opening.turn is not None
        assert opening.turn.accepted[0].value.lower() in template.start(target).text.lower()
        for reply in (ask("tag", "rock", "jazz"), show("i1", item.id), show("i1")):
            assert rule.reply(reply).signal == template.reply(reply).signal


def test_the_words_vary_across_episodes(kg: KnowledgeGraph) -> None:
    user = TemplateUser(kg, seed=0, config=TemplateConfig(typo_rate=0))
    openings, rejections = set(), set()
    for item in kg.catalog.items:
        target = Target(item_id=item.id)
        value = item.attributes["tag"]
        text = user.start(target).text
        # Mask the value to compare the phrasings themselves.
        openings.add(re.sub("|".join(value), "V", text, flags=re.I).lower())
        rejections.add(user.reply(show("i1" if item.id != "i1" else "i2")).text.lower())
    assert len(openings) >= 8
    assert len(rejections) >= 4


def test_accepting_is_by_title_or_by_position(movies: KnowledgeGraph) -> None:
    user = TemplateUser(
        movies, seed=0, config=TemplateConfig(typo_rate=0, lowercase_rate=0, title_year_rate=0)
    )
    by_title = by_position = 0
    for episode in range(30):
        target = Target(item_id="m2", user=episode)
        user.start(target)
        accept = user.reply(show("m1", "m2"))
        assert accept.accepted_item == "m2" and accept.done and accept.turn is None
        if "The Matrix" in accept.text:  # "Matrix, The (1999)" as people write it
            by_title += 1
        else:
            assert "second" in accept.text.lower()
            by_position += 1
    assert by_title and by_position


def test_display_titles_move_the_article_and_split_the_year() -> None:
    assert display_title("Matrix, The (1999)") == ("The Matrix", 1999)
    assert display_title("Amelie") == ("Amelie", None)


def test_the_item_nouns_follow_the_catalog() -> None:
    music = KnowledgeGraph.from_dataset(tiny_dataset(name="crs-lastfm-tiny"))
    user = TemplateUser(music, seed=0, config=TemplateConfig(typo_rate=0))
    nouns = set(load_phrasings().media["movies"]) - set(load_phrasings().media["music"])
    for item in music.catalog.items:
        text = user.start(Target(item_id=item.id)).text.lower()
        assert not any(re.search(rf"\b{noun}\b", text) for noun in nouns), text


def test_phrasing_typos_leave_values_alone_unless_asked(movies: KnowledgeGraph) -> None:
    noisy = TemplateConfig(typo_rate=1.0, value_typo_rate=0.0, lowercase_rate=0)
    for episode in range(10):
        target = Target(item_id="m5", user=episode)  # Comedy, Romance, Jean-Pierre Jeunet
        rule = RuleUser(movies, seed=episode)
        opening = rule.start(target)
        assert opening.turn is not None
        value = opening.turn.accepted[0].value
        text = TemplateUser(movies, seed=episode, config=noisy).start(target).text
        assert value.lower() in text.lower()
    misspelt = TemplateUser(movies, seed=1, config=TemplateConfig(value_typo_rate=1.0, lowercase_rate=0))
    text = misspelt.start(Target(item_id="m5")).text.lower()
    assert not any(v in text for v in ("comedy", "romance", "jean-pierre jeunet"))


def test_the_packaged_phrasings_all_render(movies: KnowledgeGraph) -> None:
    """Every phrasing of every list fills (run many episodes so each gets drawn)."""
    book = load_phrasings()
    assert book.open.for_type("director") and book.ordinals[0] == "first"
    user = TemplateUser(movies, seed=0)
    for episode in range(60):
        user.start(Target(item_id="m3", user=episode))
        for reply in (ask("genre", "Crime"), ask("genre", "Drama"), ask("genre", "Action", "Drama")):
            assert "{" not in user.reply(reply).text
        assert "{" not in user.reply(ask("genre", "Action", "Crime")).text
        assert "{" not in user.reply(ask("genre", "Drama", "Comedy")).text
        assert "{" not in user.reply(greet()).text


def test_a_bad_phrasings_file_fails_clearly(tmp_path: Path, movies: KnowledgeGraph) -> None:
    book = json.loads((ROOT / "crsagent/simulators/data/phrasings.json").read_text())
    book["yes"] = ["yes, {vlaue}"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(book))
    with pytest.raises(ValueError, match=r"unknown slot.*vlaue"):
        TemplateUser(movies, config=TemplateConfig(phrasings=bad))
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ValueError, match=r"broken\.json: not JSON"):
        TemplateUser(movies, config=TemplateConfig(phrasings=broken))
    with pytest.raises(ValueError, match="cannot read"):
        TemplateUser(movies, config=TemplateConfig(phrasings=tmp_path / "missing.json"))


def test_the_nlu_never_reads_the_phrasings() -> None:
    for path in (ROOT / "crsagent" / "agent").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "phrasings" not in source and "crsagent.simulators" not in source, path
