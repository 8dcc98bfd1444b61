"""Shard an evaluation's episodes over a Ray cluster (the optional ``ray`` extra).

    crsagent eval run evals/cpr-agent.toml --ray            # a local Ray instance on this machine
    crsagent eval run evals/cpr-agent.toml --ray auto       # the cluster this machine belongs to
    crsagent eval run evals/cpr-agent.toml --ray ray://head:10001

Each Ray task plays a chunk of episodes and returns them (Ray pickles them); the calling process logs
every episode as its chunk comes back, so a run resumes exactly as a local one (the same log, the
same folder). A Ray worker process builds the agent and the simulator factory once (``build_world``)
and keeps them for every later task of the same spec, as a local worker process does. Episodes
draw their randomness from the spec's seed and their own target, so a Ray run gives the same
episodes as a local run of the same spec (the timing fields aside).

Every node loads the dataset itself, by the spec's name, from the data folder this process was
given (``--data-dir`` / ``CRSAGENT_DATA_DIR``): on a cluster it must exist at the same path on every
node (a shared file system, or a copy).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crsagent.config import Settings
from crsagent.data.registry import load_dataset
from crsagent.errors import CrsAgentError
from crsagent.evals.execute import OnDone, World, play_bounded, play_world
from crsagent.evals.spec import EvalSpec
from crsagent.evals.targets import EpisodeTarget
from crsagent.evals.world import build_world
from crsagent.simulators.base import Episode

LOCAL = "local"


class RaySettings(BaseModel):
    """How episodes are handed to Ray."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str = Field(
        default=LOCAL,
        description="'local' starts a Ray instance here; 'auto' joins this machine's cluster; "
        "'ray://host:port' connects a client.",
    )
    chunk: int = Field(default=16, ge=1, le=10_000, description="Episodes per Ray task.")
    num_cpus: int | None = Field(
        default=None, ge=1, description="CPUs of a local instance (None: Ray's default, every core)."
    )


def _ray() -> Any:
    try:
        import ray
    except ModuleNotFoundError:
        raise CrsAgentError(
            "--ray needs the ray package: pip install 'crsagent[ray]' (or pip install ray)"
        ) from None
    return ray


# One world per Ray worker process, for the spec it was built for (a worker serves many tasks).
_WORLDS: dict[str, World] = {}


def play_chunk(spec: EvalSpec, settings: Settings, jobs: Sequence[EpisodeTarget]) -> list[Episode]:
    """A Ray task's body: play ``jobs`` in this worker process, return their episodes (Ray pickles them)."""
    key = spec.model_dump_json()
    world = _WORLDS.get(key)
    if world is None:
        _WORLDS.clear()  # one spec at a time: a worker does not keep agents of finished runs
        world = build_world(spec, load_dataset(spec.dataset, settings=settings), settings)
        _WORLDS[key] = world
    episodes: list[Episode] = []
    play_world(world, spec, jobs, episodes.append)
    return episodes


def play_on_ray(
    spec: EvalSpec,
    settings: Settings,
    jobs: Sequence[EpisodeTarget],
    on_done: OnDone,
    ray_settings: RaySettings,
) -> None:
    """Play ``jobs`` as Ray tasks of ``ray_settings.chunk`` episodes; ``on_done`` gets each episode
    here, in the calling process, as its task finishes."""
    if not jobs:
        return
    ray = _ray()
    started_here = not ray.is_initialized()
    if started_here:
        if ray_settings.address == LOCAL:
            # Loopback only: a local instance serves this run, not the network.
            ray.init(
                num_cpus=ray_settings.num_cpus,
                include_dashboard=False,
                logging_level="WARNING",
                _node_ip_address="127.0.0.1",
            )
        else:
            ray.init(address=ray_settings.address, logging_level="WARNING")
    try:
        task = ray.remote(play_chunk)
        limit = 2 * max(int(ray.cluster_resources().get("CPU", 1)), 1)  # tasks submitted at once
        # The spec and settings go to the object store once, not with every task.
        spec_ref, settings_ref = ray.put(spec), ray.put(settings)

        def submit(chunk: list[EpisodeTarget]) -> Future[list[Episode]]:
            # Cancelling this future after an error leaves its task running (ray.shutdown ends it).
            return task.remote(spec_ref, settings_ref, chunk).future()

        play_bounded(jobs, ray_settings.chunk, submit, on_done, limit=limit)
    finally:
        if started_here:
            ray.shutdown()
