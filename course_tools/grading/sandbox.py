"""A bubblewrap sandbox per submission: what a student's notebook may see, write and use.

Inside the sandbox a notebook sees the system's programs and libraries, this Python, a pristine
copy of the course's packages and the data folder, all read-only; it writes only to a private
home folder and ``/tmp`` (small tmpfs, gone afterwards) where its own copy lives. It has no
network (only its own loopback, which the kernel needs), its own process namespace (every
child dies with it), no capabilities, a clean environment and limits on memory and file size.
The submissions folder, the CSV, the instructor's home and the checkout are not there at all.

    >>> command = sandbox_command(["python", "-c", "print(1)"], SandboxPaths.for_this_python(
    ...     Path("/tmp/course"), None), Limits())  # doctest: +SKIP
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

INSTALL_BUBBLEWRAP = (
    "Install bubblewrap (no daemon, no root needed to use it): `sudo apt-get install bubblewrap` "
    "on Debian or Ubuntu, `sudo dnf install bubblewrap` on Fedora. On Ubuntu 24.04 and later, "
    "unprivileged user namespaces may also need allowing for bwrap (see the README). Where no "
    "sandbox can be made (macOS, Windows, a locked-down host), grade in a Linux virtual machine, "
    "or pass --unsafe-no-sandbox to run students' code with your own rights, at your own risk."
)
SANDBOX_HOME = "/home/student"
SANDBOX_COURSE = "/course"
SANDBOX_DATA = "/data"
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/fonts",
    "/etc/ssl",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/mime.types",
)
PASSED_VARIABLES = ("COURSE_FAST", "LANG", "LC_ALL", "TZ")  # what a notebook may read of ours


@dataclass(frozen=True)
class Limits:
    """Per-submission limits: ``Limits(memory_bytes=8 * 2**30)``.

    ``memory_bytes`` caps each process's address space (RLIMIT_AS: TensorFlow on a CPU needs
    about 3 GB of it); ``file_bytes`` caps any file it writes; ``scratch_bytes`` the size of its
    home and ``/tmp``; ``output_bytes`` what its cells may print in all (the grader stops reading
    and fails the notebook beyond it).
    """

    memory_bytes: int = 8 * 2**30
    file_bytes: int = 256 * 2**20
    scratch_bytes: int = 512 * 2**20
    output_bytes: int = 32 * 2**20


@dataclass(frozen=True)
class SandboxPaths:
    """What the sandbox shows read-only: this Python's folders, the course copy, the data."""

    python_folders: tuple[str, ...]
    course_copy: Path
    data_dir: Path | None
    keras_cache: Path | None = None

    @classmethod
    def for_this_python(cls, course_copy: Path, data_dir: Path | None) -> SandboxPaths:
        """The folders the running interpreter and its packages live in, e.g. a venv and its base.

        Call: ``SandboxPaths.for_this_python(Path("/tmp/grader/course"), Path("/srv/data"))``.
        """
        folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        folders.add(str(Path(sys.executable).resolve().parent.parent))
        folders |= {str(Path(path).resolve()) for path in sys.path if _is_outside_course(path)}
        keras_cache = Path(os.environ.get("KERAS_HOME") or "~/.keras").expanduser() / "datasets"
        return cls(
            python_folders=tuple(sorted(_outermost(folders))),
            course_copy=course_copy,
            data_dir=data_dir,
            keras_cache=keras_cache if keras_cache.is_dir() and data_dir is None else None,
        )


def _is_outside_course(path: str) -> bool:
    """sys.path entries worth showing: site-packages and the like, not '' or the checkout."""
    if not path or not Path(path).is_dir():
        return False
    return "site-packages" in path or "dist-packages" in path or path.startswith(sys.base_prefix)


def _outermost(folders: set[str]) -> set[str]:
    """Drop folders inside other folders of the set: ``{"/a", "/a/b"}`` -> ``{"/a"}``."""
    ordered = sorted(folders, key=len)
    kept: list[str] = []
    for folder in ordered:
        if not any(folder == k or folder.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(folder)
    return set(kept)


def find_bwrap() -> str | None:
    """The bubblewrap program's path, or None: ``find_bwrap()`` -> ``"/usr/bin/bwrap"``."""
    return shutil.which("bwrap")


def sandbox_problem() -> str:
    """Why no sandbox can be made here, or "" when one can (it tries a real one).

    >>> isinstance(sandbox_problem(), str)
    True
    """
    bwrap = find_bwrap()
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    probe = [bwrap, *_namespace_options(), "--ro-bind", "/", "/", "--proc", "/proc", "true"]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap could not start ({error})"
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap cannot make a sandbox on this machine ({detail})"
    return ""


def _namespace_options() -> list[str]:
    return [
        "--unshare-all",  # network, processes, IPC, hostname, cgroups
        "--unshare-user",
        "--uid",
        "1000",
        "--gid",
        "1000",
        "--disable-userns",
        "--cap-drop",
        "ALL",
        "--die-with-parent",
        "--new-session",  # no typing into the grader's terminal (TIOCSTI)
    ]


def sandbox_environment(paths: SandboxPaths) -> dict[str, str]:
    """The only variables a submission sees (none of the instructor's own).

    Call: ``sandbox_environment(paths)["HOME"]`` -> ``"/home/student"``.
    """
    env = {
        "HOME": SANDBOX_HOME,
        "USER": "student",
        "PATH": os.pathsep.join(
            [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        "PYTHONPATH": SANDBOX_COURSE,
        "TMPDIR": "/tmp",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    if paths.data_dir is not None:
        env["COURSE_DATA_DIR"] = SANDBOX_DATA
    env.update({name: os.environ[name] for name in PASSED_VARIABLES if name in os.environ})
    return env


def sandbox_command(command: list[str], paths: SandboxPaths, limits: Limits) -> list[str]:
    """``bwrap ... -- command``: the submission's runner inside its own sandbox.

    Call: ``sandbox_command([sys.executable, "-m", "course_tools.grading.runner"], paths, Limits())``.
    """
    bwrap = find_bwrap() or "bwrap"
    options = [bwrap, *_namespace_options(), "--clearenv"]
    for name, value in sandbox_environment(paths).items():
        options += ["--setenv", name, value]
    scratch = str(limits.scratch_bytes)  # the tmpfs first: a venv may live under /tmp
    options += ["--size", scratch, "--tmpfs", "/tmp", "--size", scratch, "--tmpfs", SANDBOX_HOME]
    for folder in SYSTEM_FOLDERS + SYSTEM_FILES + paths.python_folders:
        options += ["--ro-bind-try", folder, folder]
    options += ["--ro-bind", str(paths.course_copy), SANDBOX_COURSE]
    if paths.data_dir is not None:
        options += ["--ro-bind", str(paths.data_dir), SANDBOX_DATA]
    options += ["--proc", "/proc", "--dev", "/dev"]
    if paths.keras_cache is not None:
        cache = f"{SANDBOX_HOME}/.keras/datasets"
        options += ["--ro-bind", str(paths.keras_cache), cache]
    options += ["--remount-ro", "/", "--chdir", SANDBOX_HOME, "--", *command]
    return options


def apply_limits(limits: Limits):
    """A ``preexec_fn`` that sets the resource limits in the child before it starts.

    Call: ``subprocess.Popen(command, preexec_fn=apply_limits(Limits()))``.
    """

    def set_limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return set_limits


def copy_course(destination: Path) -> Path:
    """A pristine copy of the packages the checks run from, that no submission can touch.

    Copies ``helpers`` and ``course_tools`` (without caches) from where this Python imports them.
    Call: ``copy_course(Path(tmp) / "course")`` -> that folder.
    """
    import course_tools
    import helpers

    destination.mkdir(parents=True, exist_ok=True)
    for package in (helpers, course_tools):
        source = Path(package.__file__).resolve().parent
        shutil.copytree(
            source,
            destination / source.name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"),
            symlinks=False,
        )
    for path in destination.rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    destination.chmod(0o555)
    return destination
