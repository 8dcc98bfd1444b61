"""The CPR benchmark (EAR / SCPR / UNICORN protocol) with the rule simulator: runner, metrics, reports.

``run_cpr(CprRunConfig(dataset="crs-lastfm"))`` plays every episode of the test split; the CLI is
``crsagent eval cpr``. The protocol is DESIGN.md's "The CPR benchmark protocol".
"""

from crsagent.evals.cpr.config import CprRunConfig
from crsagent.evals.cpr.evaluate import CprRun, PreparedCpr, prepare, run_cpr
from crsagent.evals.cpr.metrics import CprMetrics, compute_metrics, hdcg
from crsagent.evals.cpr.protocol import (
    ActionRecord,
    CprProtocol,
    EpisodeResult,
    RuleSimulator,
    UserSimulator,
    run_episode,
)

__all__ = [
    "ActionRecord",
    "CprMetrics",
    "CprProtocol",
    "CprRun",
    "CprRunConfig",
    "EpisodeResult",
    "PreparedCpr",
    "RuleSimulator",
    "UserSimulator",
    "compute_metrics",
    "hdcg",
    "prepare",
    "run_cpr",
    "run_episode",
]
