"""Upload data/ to the Hugging Face Hub as a dataset repository."""

from __future__ import annotations

import re
from pathlib import Path

from .build import DATA_DIR, check
from .segment import InputError

REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}")
NO_TOKEN = (
    "no Hugging Face token found. Create a write token at https://huggingface.co/settings/tokens, "
    "then run `hf auth login` (or set HF_TOKEN) and publish again"
)


def publish(repo_id: str, folder: Path = DATA_DIR, private: bool = False) -> str:
    """Upload `folder` to the dataset repo `repo_id`; return the commit URL."""
    from huggingface_hub import HfApi, get_token

    if not REPO_ID.fullmatch(repo_id):
        raise InputError(f"--repo-id {repo_id!r}: expected ORG/NAME (letters, digits, - _ .)")
    token = get_token()
    if not token:
        raise InputError(NO_TOKEN)
    stale = check(folder)
    if stale:
        raise InputError(f"{folder}: out of date ({stale[0]}, ...); run `python -m labeling build` first")
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                                 commit_message="Upload TechSanctions dataset")
    except Exception as exc:  # network, permission and validation errors of huggingface_hub
        raise InputError(f"publishing to {repo_id} failed: {exc.__class__.__name__}: {str(exc).splitlines()[0]}") from None
    return str(info)
