"""What a run ran on: Python, platform, imported packages and git state.

Package versions come from ``sys.modules``, the installed distributions'
``.dist-info`` folder names (``name-version.dist-info``) and
``importlib.metadata`` (no subprocess). Which distribution provides which
top-level module takes reading every distribution's file list, a few hundred
milliseconds; that map is kept in the user's cache folder, keyed by the set of
installed distributions, so only the first process after an install pays it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Mapping

from ._version import __version__

__all__ = ["capture_environment", "imported_packages", "git_state", "prepare_in_background"]

_lock = threading.Lock()
_module_dists: Mapping[str, list[str]] | None = None
_versions: dict[str, str] = {}
_folder_versions: dict[str, str] = {}
_seen_modules: set[str] = set()
_packages: dict[str, str] = {}
_sorted_packages: dict[str, str] = {}
_seen_count = [0]  # len(sys.modules) when the packages were last worked out
_static: dict[str, Any] | None = None
_last_environment: dict[str, Any] | None = None
_git_cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
_GIT_TTL = 5.0


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _installed() -> tuple[str, dict[str, str]]:
    """A digest of the installed distributions, and their versions by normalised name,
    from the ``.dist-info`` folder names on ``sys.path`` (the first one found wins, as
    for imports)."""
    names: list[str] = []
    versions: dict[str, str] = {}
    for entry in sys.path:
        try:
            listing = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for item in listing:
            if item.endswith(".dist-info"):
                names.append(f"{entry}/{item}")
                name, _, version = item[:-len(".dist-info")].partition("-")
                versions.setdefault(_normalized(name), version)
            elif item.endswith(".egg-info"):
                names.append(f"{entry}/{item}")
    digest = hashlib.sha256("\n".join([sys.executable, *names]).encode()).hexdigest()
    return digest[:20], versions


def _cache_file(digest: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nbtrack" / f"modules-{digest}.json"


def _module_distributions() -> Mapping[str, list[str]]:
    """Top-level module → distributions (once per process; call with the lock)."""
    global _module_dists
    if _module_dists is None:
        digest, versions = _installed()
        _folder_versions.update(versions)
        cache = _cache_file(digest)
        try:
            _module_dists = json.loads(cache.read_text())
        except (OSError, ValueError):
            import importlib.metadata as metadata

            _module_dists = metadata.packages_distributions()
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                partial = cache.with_suffix(f".{os.getpid()}.tmp")
                partial.write_text(json.dumps(_module_dists))
                os.replace(partial, cache)
            except OSError:
                pass  # a read-only home only costs the next process the same read
    return _module_dists


def _version(dist: str) -> str | None:
    """A distribution's version: its folder name's, else its metadata's (call with the
    lock)."""
    found = _versions.get(dist) or _folder_versions.get(_normalized(dist))
    if found is None:
        import importlib.metadata as metadata

        try:
            found = metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None
    _versions[dist] = found
    return found


def prepare_in_background() -> None:
    """Read the installed distributions' module lists and versions on a daemon thread.

    Reading every distribution's file list and metadata takes a few hundred
    milliseconds; done while the user reads the status line, the first tracked cell
    does not wait for it. It imports nothing, so it cannot race the user's imports.
    """
    def work() -> None:
        try:
            with _lock:
                _module_distributions()
        except Exception:
            pass  # the first run will read them itself and report any problem

    threading.Thread(target=work, name="nbtrack-environment", daemon=True).start()


def imported_packages() -> dict[str, str]:
    """Distribution name → version for every distribution with an imported module."""
    with _lock:
        if len(sys.modules) == _seen_count[0]:
            return dict(_sorted_packages)
        module_dists = _module_distributions()
        tops = {name.partition(".")[0] for name in list(sys.modules)}
        for top in tops - _seen_modules:
            for dist in module_dists.get(top, ()):
                version = _version(dist)
                if version is not None:
                    _packages[dist] = version
        _seen_modules.update(tops)
        _seen_count[0] = len(sys.modules)
        _sorted_packages.clear()
        _sorted_packages.update(sorted(_packages.items(), key=lambda kv: kv[0].lower()))
        return dict(_sorted_packages)


def _find_git_dir(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / ".git"
        if candidate.is_dir():
            return candidate
        if candidate.is_file():  # worktrees and submodules: "gitdir: <path>"
            text = candidate.read_text(errors="replace").strip()
            if text.startswith("gitdir:"):
                return (folder / text[7:].strip()).resolve()
    return None


def _read_commit(git_dir: Path) -> tuple[str | None, str | None]:
    head = (git_dir / "HEAD").read_text().strip()
    if not head.startswith("ref:"):
        return head, None
    ref = head[4:].strip()
    common = git_dir
    if (git_dir / "commondir").is_file():
        common = (git_dir / (git_dir / "commondir").read_text().strip()).resolve()
    for base in (git_dir, common):
        ref_file = base / ref
        if ref_file.is_file():
            return ref_file.read_text().strip(), ref.rpartition("/")[2]
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0], ref.rpartition("/")[2]
    return None, ref.rpartition("/")[2]  # a branch with no commit yet


def git_state(start: str | os.PathLike[str] | None = None) -> dict[str, Any] | None:
    """Commit, branch and dirty flag of the git work tree around ``start``, or None.

    The commit is read from ``.git`` directly; the dirty flag needs
    ``git status`` and is cached for a few seconds.
    """
    key = os.fspath(start) if start is not None else os.getcwd()
    cached = _git_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < _GIT_TTL:
        return cached[1]
    here = Path(key).resolve()
    git_dir = _find_git_dir(here)
    state: dict[str, Any] | None = None
    if git_dir is not None:
        try:
            commit, branch = _read_commit(git_dir)
        except OSError:
            commit, branch = None, None
        dirty = None
        try:
            out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                 cwd=here, capture_output=True, timeout=3, text=True)
            if out.returncode == 0:
                dirty = bool(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
        state = {"commit": commit, "branch": branch, "dirty": dirty,
                 "root": str(git_dir.parent)}
    _git_cache[key] = (time.monotonic(), state)
    return state


def capture_environment() -> dict[str, Any]:
    """Python, platform, package versions and git state of this process.

    While none of them changes the same dict is returned (the store then writes it
    once); treat it as read-only.
    """
    global _static, _last_environment
    if _static is None:
        _static = {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
            "platform": platform.platform(),
            "machine": platform.machine(),
        }
    packages = imported_packages()
    git = git_state()
    last = _last_environment
    if last is not None and last["packages"] == packages and last.get("git") == git:
        return last
    env = dict(_static)
    env["nbtrack"] = __version__
    env["packages"] = packages
    if git is not None:
        env["git"] = git
    _last_environment = env
    return env
