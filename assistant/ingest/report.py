"""What an ingest did, as data: counts, timings, and one line per file that was skipped or remarked on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Progress = Callable[[int, int, str], None]  # done, total, what


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    chunks_total: int = 0
    sentences_embedded: int = 0  # sentence vectors computed (stored ones reused are not counted)
    articles_annotated: int = 0  # new, changed and re-annotated articles
    annotate_seconds: float = 0.0  # spaCy, of `seconds`
    embed_seconds: float = 0.0  # the embedding model (chunks and sentences), of `seconds`
    articles_total: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # files that could not be ingested
    notices: list[str] = field(default_factory=list)  # ingested, with a remark
    files_read: int = 0
    missing_roots: list[str] = field(default_factory=list)  # folders or files given that do not exist

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged; "
            f"{self.chunks_embedded} chunks embedded, {self.chunks_total} in store "
            f"({self.articles_total} articles) in {self.seconds:.1f} s"
            + (f"; {self.articles_annotated} articles annotated, {self.sentences_embedded} sentences embedded"
               if self.articles_annotated else "")
            + (f"; {len(self.problems)} file(s) skipped" if self.problems else "")
        )

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"summary": self.summary()}
