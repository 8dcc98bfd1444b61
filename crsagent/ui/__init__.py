"""The Gradio web UI (``crsagent chat``): presentation only, every behaviour lives in the agent.

``render`` and ``sessions`` are plain Python (no gradio, unit-tested without a browser); ``layout``
and ``app`` need the ``ui`` extra and take gradio from ``optional``, which turns its absence into a
clear error naming the extra.
"""
