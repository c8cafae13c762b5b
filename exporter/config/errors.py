"""The one error of an invalid configuration file, whichever file it is.

The configuration file and the web configuration file are reported the same way, at start-up and on
reload alike: one block naming the file, then every problem on its own line, each with its YAML path
(or, for a file that is unreadable or not YAML at all, its line and column). A user then fixes a file
in one round rather than one error per restart.
"""

from __future__ import annotations

from collections.abc import Iterable

CONFIG_FILE = "configuration file"
WEB_CONFIG_FILE = "web configuration file"


class ConfigError(Exception):
    """Every problem of one file; ``str()`` is the block the CLI prints.

    ``kind`` names the file in words (``CONFIG_FILE``, ``WEB_CONFIG_FILE``) and ``source`` is its path,
    or ``--demo`` where the settings come from no file.
    """

    def __init__(self, source: str, problems: Iterable[str], *, kind: str = CONFIG_FILE) -> None:
        self.source = source
        self.kind = kind
        self.problems = list(dict.fromkeys(problems))  # a top-level mistake may surface once per target
        super().__init__(source, self.problems)

    def __str__(self) -> str:
        lines = "".join(f"\n  - {problem}" for problem in self.problems)
        return f"invalid {self.kind} {self.source}:{lines}"
