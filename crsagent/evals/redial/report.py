"""The report of a ReDial run: the agent beside the baselines and the published rows."""

from __future__ import annotations

from typing import Any

# Recall@1/10/50 on ReDial's own test split and 6,924-movie catalog, as reported in iEvaLM's table
# (Wang et al., "Rethinking the Evaluation for Conversational Recommendation in the Era of Large
# Language Models", EMNLP 2023). Not comparable one to one: this benchmark ranks ml-latest-small's
# 9,742 movies on the valid split.
PUBLISHED = (
    ("KBRD (iEvaLM table)", 0.028, 0.169, 0.366),
    ("BARCOR (iEvaLM table)", 0.031, 0.170, 0.372),
    ("UniCRS (iEvaLM table)", 0.050, 0.215, 0.413),
    ("ChatGPT zero-shot (iEvaLM table)", 0.037, 0.174, None),
)
SYSTEMS = (("agent", ""), ("mentions-CF", "mentions_cf."), ("popularity", "popularity."))
COLUMNS = ("Recall@1", "Recall@10", "Recall@50", "MRR@50", "NDCG@10")


def _cell(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}"


def recommendation_table(metrics: dict[str, Any]) -> str:
    """Rows per system, all targets and new targets, then the published rows."""
    header = "| system | targets | " + " | ".join(COLUMNS) + " |"
    lines = [header, "|---|---|" + "---:|" * len(COLUMNS)]
    for name, prefix in SYSTEMS:
        for suffix, label in (("", "all"), ("_new", "new")):
            cells = [_cell(metrics.get(f"{prefix}{c}{suffix}")) for c in COLUMNS]
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
    for name, r1, r10, r50 in PUBLISHED:
        lines.append(f"| {name} | ReDial test | {_cell(r1)} | {_cell(r10)} | {_cell(r50)} | — | — |")
    return "\n".join(lines) + "\n"


def report_markdown(metrics: dict[str, Any], mentions: str) -> str:
    parts = [
        f"# ReDial benchmark ({metrics.get('split')} split, {mentions} movie names, catalog {metrics.get('dataset')})\n",
        recommendation_table(metrics),
        (
            f"\n{metrics.get('samples')} samples ({metrics.get('samples_new')} new to the dialogue) at "
            f"{metrics.get('points')} recommender turns; {metrics.get('mapped_share', 0):.1%} of "
            f"{metrics.get('targets_total')} mentioned targets map into the catalog; the agent recommended "
            f"(rather than asked) at {metrics.get('recommend_share', 0):.0%} of the turns where the human "
            f"recommender did; turn latency p50 {metrics.get('latency_ms_p50', 0):.1f} ms, "
            f"p99 {metrics.get('latency_ms_p99', 0):.1f} ms.\n"
        ),
    ]
    understanding = {k: v for k, v in metrics.items() if k.startswith(("movie_", "attribute"))}
    if understanding:
        parts.append("\n## Understanding\n\n| measure | value |\n|---|---:|\n")
        parts += [
            f"| {k} | {v:.3f} |\n" if isinstance(v, float) else f"| {k} | {v} |\n"
            for k, v in understanding.items()
        ]
    return "".join(parts)
