"""One exception type for every refusal: an HTTP status, a stable code and a zh-CN/English message."""

from __future__ import annotations


class AccessError(Exception):
    """A refusal the caller can understand: the API renders it as JSON, the CLI as a one-line error."""

    def __init__(self, status: int, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.status = status
        self.code = code
        self.en = en
        self.zh = zh

    def body(self) -> dict[str, str]:
        return {"error": self.code, "message": self.en, "message_zh": self.zh}

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


def denied(en: str = "Your role does not allow this.", zh: str = "您的角色无权执行此操作。") -> AccessError:
    return AccessError(403, "forbidden", en, zh)


def not_found(what: str = "record", zh_what: str = "记录") -> AccessError:
    # Also used for rows outside the caller's jurisdiction: their existence is not disclosed.
    return AccessError(404, "not_found", f"No such {what} in your jurisdiction.", f"您的辖区内没有该{zh_what}。")


def invalid(code: str, en: str, zh: str) -> AccessError:
    return AccessError(400, code, en, zh)
