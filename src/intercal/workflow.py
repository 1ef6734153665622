"""Load-time helpers for the Snakemake rule files (no heavy imports).

The rule files call these while Snakemake parses the workflow, so that a bad
config fails before any job runs, with a message of a few lines naming the
config file, the key, what was found and what was expected:

- :func:`validate_section` validates one config section against its JSON schema
  (defaults filled in) and reports only the first violations, not the whole
  schema and config as ``snakemake.utils.validate`` does;
- :func:`check_files` checks that every raw file a rule reads exists, is a
  readable, non-empty regular file (so a misspelt or deleted file never lets
  stale results stand);
- :func:`resolve_patterns` expands a path or glob (or a list of them) to files;
- :func:`results_dir` checks that the results folder stays inside the study;
- :func:`pkg_code` lists the package modules a rule runs, as rule inputs, so
  that a code change reruns exactly the jobs it affects.
"""

from __future__ import annotations

import glob
import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import InputError, closest_name

#: names that users choose and that become file names (patterns, spectra, cells, ...)
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")

#: root of the installed package sources (src/intercal)
PACKAGE_ROOT = Path(__file__).resolve().parent


class ConfigError(InputError):
    """A config value is invalid; the message names the config file and key."""


def _where(cfgfile: str | None) -> str:
    return f"{cfgfile}: " if cfgfile else "config: "


def _path_str(path: Iterable[Any]) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def validate_section(
    cfg: Mapping[str, Any],
    schema_path: str | os.PathLike,
    *,
    section: str | None = None,
    cfgfile: str | None = None,
    max_errors: int = 3,
) -> None:
    """Validate ``cfg`` against a JSON schema (YAML file), filling in defaults.

    Parameters
    ----------
    cfg : mapping
        The config section (modified in place: schema defaults are filled in).
    schema_path : path
        The schema file (YAML).
    section : str, optional
        The section's key in config.yaml (prefixes every key in messages).
    cfgfile : str, optional
        The config file's path, named in messages.
    max_errors : int
        At most this many violations are listed.

    Raises
    ------
    ConfigError
        Naming the config file, the full key, what was found and what the schema expects.
    """
    import jsonschema
    import yaml

    # the C loader when PyYAML has it (same result; schemas load on every workflow start)
    schema = yaml.load(
        Path(schema_path).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )
    validator_cls = jsonschema.validators.validator_for(schema)

    def _set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for key, sub in properties.items():
                if isinstance(sub, dict) and "default" in sub and key not in instance:
                    instance[key] = sub["default"]
        yield from validator_cls.VALIDATORS["properties"](validator, properties, instance, schema)

    filling = jsonschema.validators.extend(validator_cls, {"properties": _set_defaults})
    errors = sorted(
        filling(schema).iter_errors(cfg), key=lambda e: (len(e.absolute_path), str(e.path))
    )
    if not errors:
        return
    lines = []
    for err in errors[:max_errors]:
        key = _path_str([*([section] if section else []), *err.absolute_path])
        found = repr(err.instance)
        if len(found) > 80:
            found = found[:77] + "..."
        desc = err.schema.get("description") if isinstance(err.schema, dict) else None
        msg = err.message
        if err.validator == "pattern":
            msg = f"{found} has characters or a form that is not allowed"
        if len(msg) > 200:
            msg = msg[:197] + "..."
        line = f"  {key}: {msg}"
        if err.validator not in ("additionalProperties", "required", "pattern"):
            line += f" (found {found})"
        if desc:
            line += f"\n    expected: {desc}"
        if err.validator == "additionalProperties" and isinstance(err.schema, dict):
            allowed = sorted(err.schema.get("properties", {}))
            if allowed:
                extra = [k for k in err.instance if k not in allowed]
                hints = [
                    f"{k!r} -> did you mean {m!r}?"
                    for k in extra
                    if (m := closest_name(k, allowed))
                ]
                if hints:
                    line += "\n    " + "; ".join(hints)
                line += f"\n    allowed keys: {', '.join(allowed)}"
        lines.append(line)
    more = f"\n  ... and {len(errors) - max_errors} more" if len(errors) > max_errors else ""
    schema_name = Path(schema_path).name
    raise ConfigError(
        f"{_where(cfgfile)}invalid config (schema {schema_name}):\n" + "\n".join(lines) + more
    )


def check_names(names: Iterable[str], key: str, cfgfile: str | None = None) -> None:
    """Raise ConfigError unless every name is safe to use in a file name."""
    for name in names:
        if not isinstance(name, str) or not SAFE_NAME.match(name):
            raise ConfigError(
                f"{_where(cfgfile)}{key}: name {name!r} is not allowed in file names; "
                f"expected letters, digits and . _ + - (not starting with . or -)"
            )


def check_known(
    names: Iterable[str], known: Iterable[str], key: str, what: str, cfgfile: str | None = None
) -> None:
    """Raise ConfigError unless every name is one of ``known`` (a name defined elsewhere).

    Parameters
    ----------
    names : iterable of str
        The names the key refers to (e.g. a pattern's phases).
    known : iterable of str
        The names defined (e.g. the ``materials`` section's keys).
    key : str
        Config key of ``names``, for the message.
    what : str
        Where the known names are defined, for the message (e.g. ``"materials"``).
    cfgfile : str, optional
        Named in messages.
    """
    known = [str(k) for k in known]
    for name in names:
        if name not in known:
            close = closest_name(name, known)
            hint = f"; did you mean {close!r}?" if close else ""
            raise ConfigError(
                f"{_where(cfgfile)}{key}: {name!r} is not defined in {what}{hint} "
                f"(defined: {sorted(known)})"
            )


def check_files(files: Mapping[str, Any], cfgfile: str | None = None) -> None:
    """Check, at load time, that every configured raw file can be read.

    Parameters
    ----------
    files : mapping
        Config key (e.g. ``"xrd.patterns.<name>.file"``) -> path, or list of paths.
    cfgfile : str, optional
        Named in messages.

    Raises
    ------
    ConfigError
        For a missing path, a directory, an unreadable or an empty file, naming the key.
    """
    for key, spec in files.items():
        paths = [spec] if isinstance(spec, str | os.PathLike) else list(spec)
        for p in paths:
            # one stat per file (a 10,000-scan series is checked on every workflow start)
            try:
                st = os.stat(p)
            except FileNotFoundError:
                raise ConfigError(
                    f"{_where(cfgfile)}{key}: file {str(p)!r} does not exist "
                    f"(relative paths are relative to the study folder {os.getcwd()})"
                ) from None
            if not stat.S_ISREG(st.st_mode):
                raise ConfigError(f"{_where(cfgfile)}{key}: {str(p)!r} is not a regular file")
            if not os.access(p, os.R_OK):
                raise ConfigError(f"{_where(cfgfile)}{key}: file {str(p)!r} is not readable")
            if st.st_size == 0:
                raise ConfigError(f"{_where(cfgfile)}{key}: file {str(p)!r} is empty")


def resolve_patterns(spec: str | Iterable[str], key: str, cfgfile: str | None = None) -> list:
    """Expand a path or glob pattern (or a list of them) to the sorted files it names.

    Raises ConfigError naming the key when a pattern matches no file.
    """
    patterns = [spec] if isinstance(spec, str) else list(spec)
    files: list[str] = []
    for pat in patterns:
        hits = (
            sorted(glob.glob(pat)) if glob.has_magic(pat) else ([pat] if Path(pat).exists() else [])
        )
        if not hits:
            raise ConfigError(
                f"{_where(cfgfile)}{key}: {pat!r} matches no file "
                f"(relative to the study folder {os.getcwd()})"
            )
        files.extend(hits)
    check_files({key: files}, cfgfile)
    return files


def results_dir(value: str, cfgfile: str | None = None) -> str:
    """Return the results folder after checking it stays inside the study folder."""
    p = Path(value)
    if p.is_absolute() or ".." in p.parts or not str(value).strip() or str(value) in (".", "./"):
        raise ConfigError(
            f"{_where(cfgfile)}study.results_dir: {value!r} must be a relative folder "
            f"inside the study folder (e.g. 'results'), without '..'"
        )
    return p.as_posix().rstrip("/")


def pkg_code(*parts: str, root: str | os.PathLike | None = None) -> list[str]:
    """Absolute paths of the package modules a rule runs (its code inputs).

    Parameters
    ----------
    *parts : str
        Sub-packages (``"musr"``) or modules (``"tables.py"``) of ``intercal``.
        ``errors.py`` and ``tables.py`` are always included.
    root : path, optional
        The package folder to list (default: the imported package's). The rule
        files pass the checkout's ``src/intercal`` beside the Snakefile.

    Returns
    -------
    list of str
        Sorted absolute paths of the ``.py`` files.
    """
    base = Path(root).resolve() if root is not None else PACKAGE_ROOT
    out = {base / "errors.py", base / "tables.py"}
    for part in parts:
        target = base / part
        if target.is_dir():
            out.update(p for p in target.rglob("*.py") if "__pycache__" not in p.parts)
        elif target.with_suffix(".py").is_file():
            out.add(target.with_suffix(".py"))
        elif target.is_file():
            out.add(target)
        else:
            raise ValueError(f"pkg_code: intercal has no module or package {part!r}")
    return sorted(str(p) for p in out)
