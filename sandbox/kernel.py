"""The kernel manager that starts each student's kernel inside the sandbox.

nbgrader (through nbclient) starts one kernel per notebook. This kernel manager
wraps the kernel's command line (``python -m ipykernel_launcher -f <file>``):

    bwrap  <a new root: /usr, the Python install, the virtual environment and
            the packages in `packages` read-only; the notebook's folder and /tmp
            as small empty tmpfs (plus the notebook's data files, read-only);
            its own process, network, IPC and host-name namespaces>
      setpriv --reuid <user> ...        (only when nbgrader runs as root)
        prlimit --as ... --nproc ... --cpu ... --fsize ...
          python -m ipykernel_launcher -f <connection file>

The kernel talks to nbgrader over ZeroMQ's ``ipc`` transport: Unix sockets in a
folder made for this kernel and bound into the sandbox, so it needs no network.
It is interrupted by a message on its control channel (a signal sent to the
process nbgrader started would stop at bubblewrap).

Without a working ``bwrap`` (a laptop without Debian's ``bubblewrap`` package,
or one where user namespaces are disabled) the kernel runs as it would without
this manager, under the same ``prlimit`` limits, and one warning on standard
error says so. See docs/sandbox.md.
"""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode

MiB = 1024**2
GiB = 1024**3

# What the kernel's environment keeps of nbgrader's (everything else, such as an
# instructor's tokens, stays outside).
KEPT_ENVIRONMENT = (
    "NBGRADER_EXECUTION",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "MPLBACKEND",
    "SNNLIB_DATA",
    "PYTHONHASHSEED",
    "TZ",
)
# Files of /etc a Python kernel reads (shared-library cache, time zone, matplotlib's
# fonts through fontconfig); the rest of /etc is not visible. passwd and group are
# made for the sandbox: the machine's would list its users (on a JupyterHub, the class).
ETC_FILES = ("ld.so.cache", "localtime", "nsswitch.conf", "fonts", "alternatives")
# Top-level folders that are symbolic links into /usr on merged-/usr systems
# (Debian 12), or real folders on older ones.
SYSTEM_FOLDERS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")

# matplotlib's configuration and cache folder in the sandbox
MPLCONFIGDIR = "/tmp/matplotlib"

_warned = set()  # warnings already given in this nbgrader run
_MODES = {}  # (bwrap, euid) -> (mode, why bubblewrap does not work)


def warn_once(message):
    """Say ``message`` on nbgrader's standard error, once per run."""
    if message not in _warned:
        _warned.add(message)
        print(f"\n[sandbox] WARNING: {message}\n", file=sys.stderr, flush=True)


def human_bytes(n):
    """1073741824 -> '1 GiB', 67108864 -> '64 MiB'."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


def tasks_of(uid):
    """How many processes and threads the user ``uid`` has (what RLIMIT_NPROC counts)."""
    count = 0
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except (OSError, ValueError):  # not a process, or gone
            continue
        if int(fields.get("Uid", "-1 ").split()[0]) == uid:
            count += int(fields.get("Threads", "1"))
    return count


def matplotlib_font_cache():
    """The newest font list matplotlib cached for whoever runs nbgrader, or None."""
    if os.environ.get("MPLCONFIGDIR"):
        folder = Path(os.environ["MPLCONFIGDIR"])
    else:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matplotlib"
    found = sorted(folder.glob("fontlist-v*.json"), key=lambda path: path.stat().st_mtime)
    return found[-1] if found and found[-1].is_file() else None


class SandboxKernelManager(AsyncKernelManager):
    """Starts the kernel in a bubblewrap sandbox, as an unprivileged user, with limits.

    Every setting can be given on nbgrader's command line
    (``--SandboxKernelManager.memory_limit=3221225472``) or in nbgrader_config.py
    (``c.SandboxKernelManager.memory_limit = 3 * 1024**3``).
    """

    user = Unicode(
        "snn-sandbox",
        help=(
            "The unprivileged user the kernel runs as when nbgrader runs as root "
            "(`make sandbox-user` creates it). Its process count is what the process "
            "limit bounds."
        ),
    ).tag(config=True)
    memory_limit = Integer(
        2 * GiB,
        help=(
            "Address space per process of the kernel, in bytes (RLIMIT_AS): beyond "
            "it an allocation raises MemoryError."
        ),
    ).tag(config=True)
    process_limit = Integer(
        64,
        help=(
            "Processes and threads the kernel may add to those its user has when it "
            "starts (RLIMIT_NPROC, which counts them per user: hence the dedicated "
            "user); the kernel itself uses about ten."
        ),
    ).tag(config=True)
    cpu_limit = Integer(
        600,
        help=(
            "CPU time per process of the kernel, in seconds (RLIMIT_CPU): the kernel "
            "is stopped when it has used this much."
        ),
    ).tag(config=True)
    file_size_limit = Integer(
        64 * MiB, help=("Largest file the kernel may write, in bytes (RLIMIT_FSIZE).")
    ).tag(config=True)
    scratch_size = Integer(
        256 * MiB,
        help=(
            "Size of each of the two writable tmpfs, the notebook's folder and /tmp, "
            "in bytes (their contents are memory, outside the address-space limit)."
        ),
    ).tag(config=True)
    packages = List(
        Unicode(),
        ["snnlib"],
        help=(
            "Python packages the kernel must import, shown read-only wherever they are "
            "installed (an editable install's source folder included)."
        ),
    ).tag(config=True)
    read_only_paths = List(
        Unicode(), [], help=("More files or folders the kernel may read, at the same path.")
    ).tag(config=True)
    require_bubblewrap = Bool(
        False,
        help=(
            "Refuse to start a kernel without a working bubblewrap, instead of "
            "running it unsandboxed with a warning."
        ),
    ).tag(config=True)
    bwrap = Unicode("bwrap", help="The bubblewrap program.").tag(config=True)

    _work = None  # this kernel's folder on the host: sockets/, kernel.log
    _answered = False  # whether the kernel answered nbgrader (see kernel_answered)

    # --- what the platform gives --------------------------------------------------

    def sandbox_mode(self):
        """'root' (bubblewrap, then switch to `user`), 'user' (bubblewrap in a user
        namespace, as whoever runs nbgrader) or 'none' (no working bubblewrap)."""
        key = (self.bwrap, os.geteuid())
        if key not in _MODES:
            _MODES[key] = self._probe_bubblewrap()
        mode, problem = _MODES[key]
        if mode == "none":
            message = (
                f"bubblewrap does not work here ({problem}): students' code runs "
                "WITHOUT the sandbox, with the instructor's rights, files and network; "
                "only the time, memory, CPU, file-size and process limits apply. Install "
                "Debian's `bubblewrap` package (see docs/sandbox.md)."
            )
            if self.require_bubblewrap:
                raise RuntimeError(message)
            warn_once(message)
        elif mode == "user":
            warn_once(
                "nbgrader does not run as root: students' code runs in the sandbox as "
                f"{pwd.getpwuid(os.getuid()).pw_name}, not as a dedicated user (its "
                "process limit counts from that user's processes)."
            )
        return mode

    def _probe_bubblewrap(self):
        program = shutil.which(self.bwrap)
        if program is None:
            return "none", f"no `{self.bwrap}` program"
        mode = "root" if os.geteuid() == 0 else "user"
        namespaces = (
            ["--unshare-pid", "--unshare-net", "--unshare-ipc"]
            if mode == "root"
            else ["--unshare-all"]
        )
        try:
            result = subprocess.run(
                [
                    program,
                    "--ro-bind",
                    "/",
                    "/",
                    "--proc",
                    "/proc",
                    "--dev",
                    "/dev",
                    *namespaces,
                    "--die-with-parent",
                    "--",
                    "true",
                ],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return "none", f"`{program}` failed: {error}"
        if result.returncode != 0:
            return "none", f"`{program}` failed: {result.stderr.strip() or result.returncode}"
        return mode, ""

    def describe(self):
        """How kernels run: 'bubblewrap, as snn-sandbox', ..."""
        mode = self.sandbox_mode()
        if mode == "none":
            return "no sandbox (limits only)"
        name = self.sandbox_user()[2] if mode == "root" else pwd.getpwuid(os.getuid()).pw_name
        return f"bubblewrap, as {name}"

    def sandbox_user(self):
        """(uid, gid, name) the kernel runs as in 'root' mode."""
        try:
            entry = pwd.getpwnam(self.user)
        except KeyError:
            entry = pwd.getpwnam("nobody")
            warn_once(
                f"there is no user `{self.user}`: students' code runs as `nobody`, "
                "shared with other services. Create the dedicated user with "
                "`make sandbox-user` (as root)."
            )
        if entry.pw_uid == 0:
            raise RuntimeError(f"the sandbox user `{entry.pw_name}` is root: choose another")
        return entry.pw_uid, entry.pw_gid, entry.pw_name

    # --- starting, interrupting, cleaning up --------------------------------------

    async def _async_pre_start_kernel(self, **kw):
        mode = self.sandbox_mode()
        if mode != "none":
            uid, gid, name = (
                self.sandbox_user()
                if mode == "root"
                else (os.getuid(), os.getgid(), pwd.getpwuid(os.getuid()).pw_name)
            )
            self._work = Path(tempfile.mkdtemp(prefix="snn-sandbox-"))
            sockets = self._work / "sockets"
            sockets.mkdir(mode=0o700)
            os.chown(sockets, uid, gid)  # the kernel makes its sockets there
            self.transport = "ipc"
            self.ip = str(sockets / "kernel")
            self.connection_file = str(sockets / "connection.json")
            # a signal to the process nbgrader started would stop at bubblewrap
            self.kernel_spec.interrupt_mode = "message"
            (self._work / "passwd").write_text(
                f"root:x:0:0::/root:/usr/sbin/nologin\n{name}:x:{uid}:{gid}::/tmp:/usr/sbin/nologin\n"
            )
            (self._work / "group").write_text(f"root:x:0:\n{name}:x:{gid}:\n")
            # the kernel's own output (not the notebook's) goes to a log, not to the
            # instructor's terminal
            kw["stdout"] = kw["stderr"] = open(self._work / "kernel.log", "ab")
        return await super()._async_pre_start_kernel(**kw)

    def kernel_answered(self):
        """Called once the kernel has answered nbgrader: give the folder of its
        sockets (on the host's disk) back to root, so that the student's code
        cannot write there. (Until then the kernel reads, and may rewrite, its
        connection file there.)"""
        self._answered = True
        if self._work is not None and os.geteuid() == 0:
            sockets = Path(self.connection_file).parent
            os.chown(self.connection_file, 0, 0)
            os.chown(sockets, 0, 0)
            os.chmod(sockets, 0o755)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        log = kw.get("stdout")
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            if log is not None and not isinstance(log, int):
                log.close()

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if self._work is not None and not restart:
            if not self._answered:
                for line in self.startup_errors():
                    self.log.error("[sandbox] the kernel did not start: %s", line)
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None

    cleanup_resources = _async_cleanup_resources

    def startup_errors(self):
        """The last lines bubblewrap, setpriv, prlimit or the kernel wrote (its log,
        printable characters only) when the kernel did not start."""
        log = self._work / "kernel.log"
        if not log.exists():
            return []
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        return ["".join(c for c in line if c.isprintable())[:300] for line in lines[-10:]]

    # --- the command line ------------------------------------------------------------

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        mode = self.sandbox_mode()
        uid = self.sandbox_user()[0] if mode == "root" else os.getuid()
        limits = self.limit_arguments(tasks_of(uid) + self.process_limit)
        if mode == "none":
            return [*limits, *command]
        cwd = Path(self._launch_args.get("cwd") or os.getcwd()).resolve()
        arguments = [shutil.which(self.bwrap), *self.mount_arguments(cwd)]
        arguments += ["--chdir", str(cwd), "--clearenv"]
        for name, value in self.kernel_environment().items():
            arguments += ["--setenv", name, value]
        arguments += ["--die-with-parent", "--new-session"]
        if mode == "root":
            uid, gid, _ = self.sandbox_user()
            os.chown(self.connection_file, uid, gid)
            arguments += [
                "--unshare-pid",
                "--unshare-net",
                "--unshare-ipc",
                "--unshare-uts",
                "--unshare-cgroup-try",
                "--hostname",
                "sandbox",
                "--",
            ]
            arguments += [
                "setpriv",
                f"--reuid={uid}",
                f"--regid={gid}",
                "--clear-groups",
                "--no-new-privs",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--",
            ]
        else:
            arguments += ["--unshare-all", "--hostname", "sandbox", "--"]
        return [*arguments, *limits, *command]

    def limit_arguments(self, processes):
        """``prlimit`` with this manager's limits (soft and hard alike, but CPU time:
        SIGXCPU at the soft limit, SIGKILL 5 s later). RLIMIT_NPROC counts every
        process and thread of the user: ``processes`` includes those it has already."""
        return [
            "prlimit",
            f"--as={self.memory_limit}",
            f"--cpu={self.cpu_limit}:{self.cpu_limit + 5}",
            f"--fsize={self.file_size_limit}",
            "--core=0",
            f"--nproc={processes}",
            "--",
        ]

    def kernel_environment(self):
        venv_bin = str(Path(sys.prefix) / "bin")
        environment = {
            "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": "/tmp",
            "TMPDIR": "/tmp",
            "LANG": "C.UTF-8",
            "MPLCONFIGDIR": MPLCONFIGDIR,
            # glibc reserves 64 MiB of address space per thread's arena: cap them so
            # that the address-space limit measures what the code allocates
            "MALLOC_ARENA_MAX": "2",
        }
        for name in KEPT_ENVIRONMENT:
            if name in os.environ:
                environment[name] = os.environ[name]
        environment.update(self.kernel_spec.env or {})
        return environment

    def read_only_sources(self):
        """Folders and files the kernel sees read-only, at their real path (and at the
        path given, if that goes through a symbolic link)."""
        paths = [
            Path(sys.prefix),
            Path(sys.base_prefix),
            Path(os.path.realpath(sys.executable)).parent.parent,
        ]
        for name in self.packages:
            spec = find_spec(name)
            if spec is None:
                raise RuntimeError(
                    f"the package {name!r} (SandboxKernelManager.packages) is not "
                    "installed in nbgrader's Python"
                )
            for location in spec.submodule_search_locations or [os.path.dirname(spec.origin)]:
                paths.append(Path(location))
        data = os.environ.get("SNNLIB_DATA")
        if data and os.path.isdir(data):
            paths.append(Path(data))
        paths += [Path(p) for p in self.read_only_paths]
        sources = []
        for path in paths:
            real, given = path.resolve(), Path(os.path.abspath(path))
            sources += [(real, real)] if real == given else [(real, real), (real, given)]
        return sources

    def mount_arguments(self, cwd):
        """bubblewrap's mounts: a new root with what a kernel needs, nothing else."""
        course = Path.cwd().resolve()  # nbgrader runs in the course's root
        mounts = _Mounts()
        mounts.add("--ro-bind", "/usr", "/usr")
        for name in SYSTEM_FOLDERS:
            path = Path("/") / name
            if path.is_symlink():
                mounts.add("--symlink", os.readlink(path), str(path))
            elif path.is_dir():
                mounts.add("--ro-bind", str(path), str(path))
        mounts.add("--dir", "/etc", perms="0755")
        for name in ETC_FILES:
            mounts.add("--ro-bind-try", f"/etc/{name}", f"/etc/{name}")
        for name in ("passwd", "group"):
            mounts.add("--ro-bind", str(self._work / name), f"/etc/{name}")
        mounts.add("--proc", "/proc")
        mounts.add("--dev", "/dev")
        mounts.add("--tmpfs", "/tmp", perms="1777", size=self.scratch_size)
        # matplotlib's font list, made on its first import (0.3 s): the grader's,
        # when it has one, saves making it again in every kernel
        mounts.add("--dir", MPLCONFIGDIR, perms="1777")
        fonts = matplotlib_font_cache()
        if fonts is not None:
            mounts.add("--ro-bind", str(fonts), f"{MPLCONFIGDIR}/{fonts.name}")
        for source, path in self.read_only_sources():
            if any(source == folder or source in folder.parents for folder in (course, cwd)):
                raise RuntimeError(
                    f"the sandbox would show {source}, which holds the course ({course}) with "
                    "its solutions and gradebook: install Python, the virtual environment "
                    "and the packages elsewhere, outside the course's folder"
                )
            if source.exists() and not mounts.covers(path):
                mounts.add("--ro-bind", str(source), str(path))
        # the notebook's folder: an empty tmpfs with the folder's files read-only
        # (data files of the problem set, files the student handed in), but not the
        # notebooks (nbgrader's copy holds the hidden tests)
        mounts.add("--tmpfs", str(cwd), perms="1777", size=self.scratch_size)
        for folder, subfolders, files in os.walk(cwd):
            subfolders[:] = [d for d in subfolders if d != ".ipynb_checkpoints"]
            for name in sorted(files):
                path = Path(folder) / name
                if name.endswith(".ipynb") or path.is_symlink() or not path.is_file():
                    continue
                mounts.add("--ro-bind", str(path), str(path))
        sockets = str(Path(self.connection_file).parent)
        mounts.add("--bind", sockets, sockets)
        mounts.add("--remount-ro", "/")
        return mounts.arguments


class _Mounts:
    """bubblewrap's mount arguments. bubblewrap makes the folders above a mount
    point with mode 0700, which an unprivileged user cannot enter: this makes
    them first, with mode 0755."""

    def __init__(self):
        self.arguments = []
        self.folders = {Path("/")}  # folders that exist in the sandbox
        self.read_only = []  # bound read-only: nothing can be made inside

    def covers(self, path):
        return any(path == bound or bound in path.parents for bound in self.read_only)

    def add(self, option, *operands, perms=None, size=None):
        destination = Path(operands[-1])
        if option != "--remount-ro":
            for folder in reversed(destination.parents):
                if folder not in self.folders and not self.covers(folder):
                    self.arguments += ["--perms", "0755", "--dir", str(folder)]
                    self.folders.add(folder)
        if perms:
            self.arguments += ["--perms", perms]
        if size:
            self.arguments += ["--size", str(size)]
        self.arguments += [option, *operands]
        if option in ("--ro-bind", "--ro-bind-try"):
            self.read_only.append(destination)
        elif option in ("--dir", "--tmpfs", "--bind", "--proc", "--dev"):
            self.folders.add(destination)
