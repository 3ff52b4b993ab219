"""Shared test setup: the Hugging Face libraries never reach the network."""

from __future__ import annotations

import os

# Set before any test module imports datasets / huggingface_hub, which read them at import time.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
