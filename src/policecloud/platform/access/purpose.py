"""The purpose every read of personal data carries: a case or incident number, or a written justification."""

from __future__ import annotations

import re
from dataclasses import dataclass

from policecloud.platform.access.errors import invalid

MIN_JUSTIFICATION_CHARS = 10
# A purpose is a reference or a sentence or two: it is copied into every audit entry of the request, so a
# 20,000-character "purpose" would bloat the log (and the header) for nothing.
MAX_PURPOSE_CHARS = 500
# "case:<number>" or "incident:<number>"; numbers are letters, digits and dashes (e.g. A4201112026110001).
_REFERENCE = re.compile(r"(case|incident):\s*([A-Za-z0-9][A-Za-z0-9-]{4,39})")


@dataclass(frozen=True)
class Purpose:
    kind: str  # case, incident or justification
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


def parse_purpose(raw: str | None) -> Purpose:
    """Validate a purpose; refuse (400) a missing or too-short one with a message saying what to give."""
    text = " ".join((raw or "").split())
    if len(text) > MAX_PURPOSE_CHARS:
        raise invalid(
            "purpose_too_long",
            f"The purpose may have at most {MAX_PURPOSE_CHARS} characters.",
            f"事由不得超过{MAX_PURPOSE_CHARS}个字符。",
        )
    if m := _REFERENCE.fullmatch(text):
        return Purpose(m.group(1), m.group(2))
    if text.lower().startswith(("case:", "incident:")):
        raise invalid(
            "purpose_invalid",
            "The case or incident number is not valid (5–40 letters, digits or dashes).",
            "案件编号或警情编号无效（应为5–40位字母、数字或连字符）。",
        )
    if len(text) >= MIN_JUSTIFICATION_CHARS:
        return Purpose("justification", text)
    raise invalid(
        "purpose_required",
        "Reading personal data needs a purpose: 'case:<case number>', 'incident:<incident number>' or a "
        f"justification of at least {MIN_JUSTIFICATION_CHARS} characters (the 'purpose' parameter or the "
        "X-Purpose header).",
        "查询个人信息必须说明事由：'case:案件编号'、'incident:警情编号'，或不少于"
        f"{MIN_JUSTIFICATION_CHARS}个字的书面理由（参数 purpose 或请求头 X-Purpose）。",
    )
