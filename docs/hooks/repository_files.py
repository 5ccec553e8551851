"""MkDocs hook: the JSON Schemas and the OpenAPI document under ``schemas/`` are served
in the site beside the pages, so pages link to them and the API reference renders them."""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

PUBLISHED = ("schemas",)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = Path(config.config_file_path).parent
    for folder in PUBLISHED:
        for path in sorted((root / folder).rglob("*.json")):
            files.append(
                File(
                    path.relative_to(root).as_posix(),
                    src_dir=str(root),
                    dest_dir=config.site_dir,
                    use_directory_urls=config.use_directory_urls,
                )
            )
    return files
