"""Upload the dataset to the Hugging Face Hub as a dataset repository."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from ..core.errors import InputError
from ..core.paths import DATA_DIR
from . import version
from .build import build

REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}")
NO_TOKEN = (
    "no Hugging Face token found. Create a write token at https://huggingface.co/settings/tokens, "
    "then run `hf auth login` (or set HF_TOKEN) and publish again"
)


def check_repo_id(repo_id: str) -> str:
    if not REPO_ID.fullmatch(repo_id) or ".." in repo_id:
        raise InputError(f"--repo-id {repo_id!r}: expected ORG/NAME (letters, digits, - _ .)")
    return repo_id


def publish(repo_id: str, private: bool = False, text_free: bool = False) -> str:
    """Build a release for `repo_id` (its name in card, Croissant and citation) and upload it.

    The release is built fresh from the current inputs, so what is uploaded is what the repository
    describes; `text_free` uploads the release without article text."""
    from huggingface_hub import HfApi, get_token

    check_repo_id(repo_id)
    token = get_token()
    if not token:
        raise InputError(NO_TOKEN)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "release"
        build(folder, text=not text_free, repo_id=repo_id, leaderboard_from=DATA_DIR)
        api = HfApi(token=token)
        try:
            api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
            info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                                     commit_message=f"Upload {version.PRETTY_NAME} {version.VERSION}"
                                     + (" (text-free)" if text_free else ""))
        except Exception as exc:  # network, permission and validation errors of huggingface_hub
            raise InputError(f"publishing to {repo_id} failed: {exc.__class__.__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    return str(info)
