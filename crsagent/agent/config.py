"""How an agent behaves: list size, questions, policy, limits. One typed config, validated."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crsagent.registry import (
    AGENT_POLICY,
    DEFAULT_AGENT_POLICY,
    DEFAULT_AGENT_RECOMMENDER,
    POLICIES,
    RECOMMENDERS,
)


class AgentConfig(BaseModel):
    """Settings of one ``Agent``; every field has a safe default for chatting with a person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    list_size: int = Field(default=5, ge=1, le=50, description="Items per recommendation.")
    offer_values: int = Field(
        default=3,
        ge=1,
        le=8,
        description="Values offered per question: 1 asks yes / no (the CPR protocol), more asks to choose.",
    )
    max_turns: int = Field(
        default=15,
        ge=2,
        description="Turn budget the policy plans for (the opening included, as in CPR); chatting goes on after it.",
    )
    policy: str = Field(
        default=DEFAULT_AGENT_POLICY,
        description="Ask / recommend policy: one of crsagent.registry.POLICIES tagged 'agent'. A trained "
        "one ('learned') needs a train and valid split and the weights `crsagent eval cpr --dataset NAME "
        "--policy learned` stores for that dataset; the agent loads them when it is built.",
    )
    negative_answers: str = Field(
        default="prune",
        pattern="^(prune|soft)$",
        description="A 'no' removes items (prune) or down-weights them (soft).",
    )
    max_questions_in_a_row: int | None = Field(
        default=3,
        ge=1,
        description="Recommend after this many questions in a row, whatever the policy says (people tire "
        "of questions); None leaves it to the policy alone (the CPR protocol).",
    )
    ranked_list_size: int = Field(
        default=50, ge=1, le=500, description="Length of the ranked list logged in the trace (Recall@k)."
    )
    liked_weight: float = Field(
        default=8.0, ge=0, description="Weight of graph proximity to items the user liked ('more like X')."
    )
    cf_model: str | None = Field(
        default=DEFAULT_AGENT_RECOMMENDER,
        description="Collaborative model fitted on the train split (a name in crsagent.registry.RECOMMENDERS) "
        "that turns the items the user named into scores; None for the graph proximity alone. Ignored "
        "without a train split.",
    )
    cf_weight: float = Field(
        default=8.0,
        ge=0,
        description="Weight of the collaborative scores of the items the user liked (tuned on ReDial valid).",
    )
    soft_weight: float = Field(
        default=3.0,
        ge=0,
        description="Log-score bonus per soft preference an item meets (a mood, a user tag, 'recent').",
    )
    vague_words: Literal["auto", "minilm", "off"] = Field(
        default="off",
        description="Words the offline NLU leaves over ('mind-bending', 'feel-good') matched by meaning to "
        "genres and tags, as soft values: 'minilm' (the ml extra's all-MiniLM-L6-v2, loaded on the first "
        "message with such words), 'auto' (minilm when the ml extra is installed, else off) or 'off'. Off "
        "by default: on ReDial valid it moved Recall@10/50 by under .001 while the model costs ~470 MB and "
        "~20 s on the first such message (docs/results/redial.md, 'Vague words by meaning').",
    )
    vague_threshold: float = Field(
        default=0.7,
        gt=0,
        lt=1,
        description="Least cosine similarity of a leftover phrase and a genre / tag (tuned on ReDial valid).",
    )
    vague_max_values: int = Field(
        default=3, ge=1, le=20, description="Soft values vague words add per message."
    )
    tool_weight: float = Field(
        default=2.0, ge=0, description="Weight of an LLM plan's tool ranking in the candidates' scores."
    )
    max_relaxations: int = Field(
        default=4,
        ge=0,
        le=8,
        description="Constraints the agent may drop when nothing matches (reflection), oldest first.",
    )
    transcript_turns: int = Field(
        default=6, ge=0, description="Past exchanges an LLM sees (older ones are summarised by the state)."
    )
    llm_turn_deadline_s: float = Field(
        default=45.0,
        gt=0,
        description="Budget of all LLM calls of one turn (connect, read, retries); past it the turn is answered "
        "offline (with llm_fallback).",
    )
    max_lead_chars: int = Field(
        default=1500, ge=0, description="Longest LLM lead kept before the templated reply; longer is cut."
    )
    llm_fallback: bool = Field(
        default=True,
        description="On an LLM error, answer that turn offline (with a notice) instead of failing.",
    )

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        return POLICIES.check(value, tag=AGENT_POLICY)

    @field_validator("cf_model")
    @classmethod
    def _known_recommender(cls, value: str | None) -> str | None:
        return value if value is None else RECOMMENDERS.check(value)
