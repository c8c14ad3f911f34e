r"""Reading a ``.env`` file, only when ``CAMUNDA_LOAD_ENVFILE`` asks for it.

The file is read by python-dotenv (as the official SDK reads it: multi-line quoted values,
``${VAR}`` expansion), so the same file gives the same values in both. The file never changes
``os.environ``: its values rank below the real environment (see
:func:`~camunda_worker._config.settings.resolve_settings`).
"""

from __future__ import annotations

import io
import logging
import threading
from pathlib import Path

from dotenv import dotenv_values

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._base.logs import logger

__all__ = ["envfile_path", "parse_envfile", "read_envfile"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})
# python-dotenv reports a line it cannot parse on this stdlib logger; the library is silent by
# default and logs through loguru, so the report is taken off it while a file is parsed.
_DOTENV_LOGGER = logging.getLogger("dotenv.main")
_DOTENV_LOCK = threading.Lock()


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
    """Parse dotenv text into a mapping, as python-dotenv's ``dotenv_values`` does.

    Multi-line quoted values, ``export`` prefixes, comments, escapes in double quotes and
    ``${VAR}`` / ``${VAR:-default}`` expansion (from earlier lines of the file, then the process
    environment; ``$VAR`` without braces stays as written) follow python-dotenv, so a file gives the same values
    here and in the official SDK. A key without ``=`` is skipped; a line that cannot be parsed is
    skipped with a warning that names its line number, never its content (it may hold a secret).

    Args:
        text: the file's content.
        path: the file's name, for warnings.

    Returns:
        The keys and values, later lines winning over earlier ones.
    """
    catcher = _ParseWarnings()
    with _DOTENV_LOCK:
        _DOTENV_LOGGER.addFilter(catcher)
        try:
            raw = dotenv_values(stream=io.StringIO(text), interpolate=True)
        finally:
            _DOTENV_LOGGER.removeFilter(catcher)
    for line in catcher.lines:
        logger.warning("{}: line {} is not a KEY=value statement; ignored", path, line)
    return {key: value for key, value in raw.items() if value is not None}


class _ParseWarnings(logging.Filter):
    """Takes python-dotenv's "could not parse" records (a line number) off stdlib logging."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[object] = []

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        self.lines.append(args[0] if args else "?")
        return False
