"""A manual verification result for tests."""

from __future__ import annotations

from datetime import datetime

from cxpm.review.actions.model import Verification


def manual(result: str) -> Verification:
    return Verification(result=result, method="manual", verified_at=datetime(2026, 9, 1),
                        verified_by="auditor")
