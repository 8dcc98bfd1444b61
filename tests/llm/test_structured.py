"""Finding and validating the JSON object in an answer; the strict schema form; the re-ask text."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from crsagent.llm.structured import extract_json, reask_message, strict_schema, validate_output


class Preferences(BaseModel):
    genres: list[str]
    decade: int | None = None
    mood: str = Field(default="any")


@pytest.mark.parametrize(
    "text",
    [
        '{"genres": ["jazz"]}',
        '  {"genres": ["jazz"]}\n',
        'Sure! ```json\n{"genres": ["jazz"]}\n``` Enjoy.',
        'Here you go: {"genres": ["jazz"]} -- hope that helps {oops',
    ],
)
def test_the_json_object_is_found_wherever_the_model_put_it(text: str) -> None:
    parsed, errors = validate_output(Preferences, text)
    assert errors == ""
    assert parsed == Preferences(genres=["jazz"])


def test_invalid_answers_give_located_errors() -> None:
    parsed, errors = validate_output(Preferences, '{"genres": "jazz", "decade": "nineties"}')
    assert parsed is None
    assert "genres: Input should be a valid array" in errors
    assert "decade:" in errors
    assert validate_output(Preferences, "   ")[1] == "the answer is empty; a JSON object was expected"
    assert extract_json("no json here") == "no json here"


def test_strict_schema_closes_objects_and_requires_every_field() -> None:
    class Outer(BaseModel):
        inner: Preferences
        note: str = "x"

    schema = strict_schema(Outer.model_json_schema())
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["inner", "note"]
    inner = schema["$defs"]["Preferences"]
    assert inner["required"] == ["genres", "decade", "mood"]
    assert inner["additionalProperties"] is False
    assert "default" not in inner["properties"]["mood"]
    # The original is untouched.
    assert Outer.model_json_schema()["required"] == ["inner"]


def test_reask_quotes_the_errors_and_the_schema() -> None:
    text = reask_message(Preferences, "genres: Field required")
    assert "not a valid Preferences: genres: Field required" in text
    assert '"genres"' in text


def test_control_characters_inside_strings_are_accepted() -> None:
    # Strict JSON forbids them; vLLM's guided decoding (xgrammar) was seen to emit them.
    parsed, errors = validate_output(Preferences, '{"genres": ["ja\x06zz"], "mood": "a\tb"}')
    assert errors == ""
    assert parsed == Preferences(genres=["ja\x06zz"], mood="a\tb")
    # Still a clear error when the lenient reading is valid JSON but not a valid object.
    parsed, errors = validate_output(Preferences, '{"genres": "x\x06"}')
    assert parsed is None
    assert "genres: Input should be a valid list" in errors
