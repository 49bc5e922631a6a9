"""Does each menu prompt announce exactly the keys its node accepts? (提示语与按键一致性)

A prompt that says "投诉举报请按3" while key 3 is unbound sends callers into the invalid-key loop; a
bound key that is never announced is a hidden option. Both are warnings, not load errors: a menu may
use recorded prompts whose text in the file is only a summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ivr.domain.menu import Menu

_ANNOUNCED = re.compile(r"按\s*([0-9*#]|星号|井号)")
_WORD_KEYS = {"星号": "*", "井号": "#"}


@dataclass(frozen=True)
class WordingWarning:
    code: str
    """"key-not-bound" (announced, not bound) or "key-not-announced" (bound, never announced)."""
    node: str
    key: str
    yaml_path: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.yaml_path}: {self.message_zh} ({self.message_en}) [{self.code}]"


def announced_keys(text: str) -> set[str]:
    """Keys a prompt text tells the caller to press ("请按1", "按星号键", "按#")."""
    return {_WORD_KEYS.get(k, k) for k in _ANNOUNCED.findall(text)}


def wording_warnings(menu: Menu) -> list[WordingWarning]:
    out = []
    for node in menu.nodes.values():
        text = menu.prompts.get(node.prompt, "")
        said, bound = announced_keys(text), set(node.keys)
        for key in sorted(said - bound):
            out.append(
                WordingWarning(
                    "key-not-bound",
                    node.id,
                    key,
                    f"prompts.{node.prompt}",
                    f"提示音 “{node.prompt}” 让来电人按 {key}，但菜单节点 “{node.id}” 没有定义按键 {key}",
                    f"prompt '{node.prompt}' tells callers to press {key}, but node '{node.id}' has no key {key}",
                )
            )
        for key in sorted(bound - said):
            out.append(
                WordingWarning(
                    "key-not-announced",
                    node.id,
                    key,
                    f"nodes.{node.id}.keys.{key}",
                    f"菜单节点 “{node.id}” 的按键 {key} 在提示音 “{node.prompt}” 中没有播报",
                    f"key {key} of node '{node.id}' is not announced in prompt '{node.prompt}'",
                )
            )
    return out
