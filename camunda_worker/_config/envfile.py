r"""Reading a ``.env`` file, only when ``CAMUNDA_LOAD_ENVFILE`` asks for it.

A small reader of the common dotenv syntax (``KEY=value``, ``export KEY=value``, ``#`` comments,
single or double quotes, ``\n`` escapes inside double quotes), so the library needs no extra
dependency. The file never changes ``os.environ``.
"""

from __future__ import annotations

import re
from pathlib import Path

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._base.logs import logger

__all__ = ["envfile_path", "parse_envfile", "read_envfile"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})
_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(?P<value>.*?)\s*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def envfile_path(setting: object) -> Path | None:
    """Turn the value of ``CAMUNDA_LOAD_ENVFILE`` into the file to read.

    Args:
        setting: ``true``/``1``/``yes``/``on`` (or ``True``) for ``./.env``; ``false`` and
            friends, empty or ``None`` for no file; anything else is a path (``~`` expanded).

    Returns:
        The path, or ``None`` when no file should be read.
    """
    if setting is None or setting is False:
        return None
    if setting is True:
        return Path.cwd() / ".env"
    text = str(setting).strip()
    if text.lower() in _FALSE:
        return None
    if text.lower() in _TRUE:
        return Path.cwd() / ".env"
    return Path(text).expanduser()


def read_envfile(setting: object) -> tuple[Path | None, dict[str, str]]:
    """Read the ``.env`` file that ``CAMUNDA_LOAD_ENVFILE`` names.

    Args:
        setting: the value of ``CAMUNDA_LOAD_ENVFILE`` (see :func:`envfile_path`).

    Returns:
        The path that was read (``None`` when none) and its keys and values.

    Raises:
        ConfigurationError: a file named by path does not exist or cannot be read.
    """
    path = envfile_path(setting)
    if path is None:
        return None, {}
    named_by_path = setting is not True and str(setting).strip().lower() not in _TRUE
    if not path.is_file():
        if named_by_path:
            raise ConfigurationError(
                f"CAMUNDA_LOAD_ENVFILE={str(setting)!r} names a file that does not exist "
                f"({path}): expected the path of a readable .env file, or true for ./.env.",
                variable="CAMUNDA_LOAD_ENVFILE",
            )
        logger.warning("CAMUNDA_LOAD_ENVFILE is true but {} does not exist; ignored", path)
        return None, {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(
            f"CAMUNDA_LOAD_ENVFILE: cannot read {path} ({type(error).__name__}): "
            "expected a readable UTF-8 .env file.",
            variable="CAMUNDA_LOAD_ENVFILE",
        ) from None
    return path, parse_envfile(text, path)


def parse_envfile(text: str, path: Path | str = ".env") -> dict[str, str]:
    """Parse dotenv text into a mapping; malformed lines are skipped with a warning.

    Args:
        text: the file's content.
        path: the file's name, for warnings.

    Returns:
        The keys and values, later lines winning over earlier ones.
    """
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            # The line is not shown: it may hold a secret.
            logger.warning("{}:{}: not a KEY=value line; ignored", path, number)
            continue
        values[match["key"]] = _unquote(match["value"])
    return values


def _unquote(value: str) -> str:
    if value[:1] == "'":
        end = value.find("'", 1)
        if end > 0:
            return value[1:end]
    if value[:1] == '"':
        match = re.match(r'"((?:[^"\\]|\\.)*)"', value)
        if match:
            return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], "\\" + m[1]), match[1])
    # An unquoted value ends at an inline comment (" #").
    return re.split(r"\s+#", value, maxsplit=1)[0].strip()
