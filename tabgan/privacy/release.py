"""What a private fit released before training, as JSON: the statistics the encoder was
fitted to, the mechanisms that released them, and the facts the metadata made public.

A resumed private fit reads these back from its checkpoint instead of querying the data
again: a second release would spend the preprocessing budget twice.
"""

from __future__ import annotations

from dataclasses import asdict

from tabgan.encoding.statistics import ColumnStatistics
from tabgan.privacy.accounting import Mechanism

__all__ = ["release_to_dict", "release_from_dict"]


def release_to_dict(statistics: list[ColumnStatistics], mechanisms: list[Mechanism],
                    public: list[str]) -> dict:
    return {
        "statistics": [s.to_dict() for s in statistics],
        "mechanisms": [asdict(m) for m in mechanisms],
        "public": list(public),
    }


def release_from_dict(data: dict) -> tuple[list[ColumnStatistics], list[Mechanism], list[str]]:
    return (
        [ColumnStatistics.from_dict(s) for s in data["statistics"]],
        [Mechanism(**m) for m in data["mechanisms"]],
        list(data["public"]),
    )
