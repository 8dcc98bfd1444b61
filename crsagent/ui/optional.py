"""gradio (the ``ui`` extra), imported once with analytics off, or a clear error naming the extra.

Every UI module takes ``gr`` from here. Only ``crsagent chat`` imports the UI (inside its handler),
so nothing else pays for gradio's import or needs it installed.
"""

from __future__ import annotations

import os

from crsagent.errors import CrsAgentError


class UIUnavailableError(CrsAgentError):
    """gradio (the ``ui`` extra) is not installed."""


# Before the import: gradio reads it when its modules load, and would otherwise call home at start.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
try:
    import gradio as gr
except ImportError as error:
    raise UIUnavailableError(
        f"the web UI needs gradio, which is not installed ({error}). Install the ui extra: "
        "pip install 'crsagent[ui]' (or run bash scripts/install.sh, which installs every extra)"
    ) from error

__all__ = ["UIUnavailableError", "gr"]
