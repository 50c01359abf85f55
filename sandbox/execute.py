"""nbgrader's Execute preprocessor for sandboxed kernels, that never gives up on a class.

nbgrader's own `Execute` interrupts a cell that runs past the per-cell timeout
(``c.Execute.timeout``). When the interrupt does not stop it (the cell catches
KeyboardInterrupt), or when the kernel dies (killed at a limit, or by the
student's code), nbclient raises, and nbgrader gives up on that student: it
removes the student's autograded folder and ends `nbgrader autograde` with exit
status 1 after the others.

`SandboxedExecute` instead stops that kernel, and records in the notebook:

- in the cell that was running, an error that says what happened (which limit
  was hit, if one was), so that the cell scores 0 if it is a test cell;
- in every code cell after it, an error saying it was not run: test cells
  after it score 0;

so the student keeps the points of the cells before it, gets feedback that says
why, and nbgrader goes on with the next student. A cell whose own error shows
that it hit a limit (MemoryError at the address-space limit, no more processes,
a file too large) gets a note saying which. A whole notebook also has a time
budget (`notebook_timeout`), after which its remaining cells are not run.

Its kernels are started by `sandbox.kernel.SandboxKernelManager`.
"""

import math
import signal
from time import monotonic

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer

from .kernel import SandboxKernelManager, human_bytes

# The name of the error recorded in cells that did not run (shown in the feedback).
NOT_RUN = "CellNotRun"
# Errors a cell shows when it hit one of the kernel's limits, and which limit.
LIMIT_ERRORS = (
    ("MemoryError", "memory"),
    ("Resource temporarily unavailable", "processes"),
    ("can't start new thread", "processes"),
    ("File too large", "file size"),
    ("No space left on device", "scratch space"),
)


def error_output(ename, evalue):
    """An error output, as nbformat stores one."""
    return NotebookNode(
        output_type="error",
        ename=ename,
        evalue=evalue,
        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"],
    )


class SandboxedExecute(Execute):
    """Execute (nbgrader's), with kernels in the sandbox and no run given up on."""

    notebook_timeout = Integer(
        600,
        help=(
            "Seconds for a whole notebook (each cell also has Execute.timeout): the "
            "cells that would start later are not run, and score 0."
        ),
    ).tag(config=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self._stopped = None  # why the kernel was stopped, once it was
        self._deadline = monotonic() + self.notebook_timeout
        # the default says only "No reply from kernel before timeout"
        self.error_on_timeout = {
            "ename": "CellTimeoutError",
            "evalue": f"this cell ran longer than the time limit ({self.timeout} s per cell) "
            "and was interrupted",
            "traceback": [
                f"\x1b[0;31mCellTimeoutError\x1b[0m: this cell ran longer than the "
                f"time limit ({self.timeout} s per cell) and was interrupted"
            ],
        }
        return super().preprocess(nb, resources, km=km)

    async def async_start_new_kernel_client(self):
        client = await super().async_start_new_kernel_client()
        if isinstance(self.km, SandboxKernelManager):
            self.km.kernel_answered()
        return client

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def _get_timeout(self, cell):
        # no cell may run past the notebook's budget
        timeout = super()._get_timeout(cell)
        if cell is None:
            return timeout
        left = max(1, math.ceil(self._deadline - monotonic()))
        return left if timeout is None else min(timeout, left)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return super().preprocess_cell(cell, resources, index)
        if self._stopped is not None:
            cell.outputs = [error_output(NOT_RUN, f"this cell was not run: {self._stopped}")]
            cell.execution_count = None
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:
            # nbclient gave up waiting after the interrupt: the cell is still running
            self._stopped = (
                f"an earlier cell ran longer than the time limit ({self.timeout} s "
                "per cell) and could not be interrupted"
            )
            self.log.error("Cell %d could not be interrupted: stopping its kernel", index)
            self._stop_kernel()
            cell.outputs.append(
                error_output(
                    "CellTimeoutError",
                    f"this cell ran longer than the time limit ({self.timeout} s per cell) and "
                    "did not stop when interrupted (does it catch KeyboardInterrupt?): its kernel "
                    "was stopped, and the cells after it were not run",
                )
            )
        except DeadKernelError:
            why = self._why_dead()
            self._stopped = f"the kernel died in an earlier cell ({why})"
            self.log.error("The kernel died in cell %d: %s", index, why)
            self._stop_kernel()
            cell.outputs.append(
                error_output(
                    "DeadKernelError",
                    f"the kernel died while running this cell ({why}); the cells after it were "
                    "not run",
                )
            )
        else:
            self._note_limits(cell)
            if monotonic() >= self._deadline:
                self._out_of_time(cell)
            return cell, resources
        cell.execution_count = None
        return cell, resources

    def _out_of_time(self, cell):
        """The notebook's time is up (``cell`` was interrupted at the end of it)."""
        limit = f"the notebook's time limit ({self.notebook_timeout} s)"
        self._stopped = f"an earlier cell reached {limit}"
        self.log.warning("The notebook reached its time limit: the cells after are not run")
        for i, output in enumerate(cell.outputs):
            if output.output_type == "error" and output.ename == "CellTimeoutError":
                cell.outputs[i] = error_output(
                    "CellTimeoutError",
                    f"this cell was interrupted at {limit}; the cells after it were not run",
                )
        self._stop_kernel()

    # --- what happened to the kernel ------------------------------------------------

    def _limits(self):
        km = self.km
        return {
            "memory": f"{human_bytes(km.memory_limit)} of address space per process",
            "processes": f"{km.process_limit} processes and threads",
            "file size": f"{human_bytes(km.file_size_limit)} per file",
            "scratch space": f"{human_bytes(km.scratch_size)} in the notebook's folder or /tmp",
            "CPU time": f"{km.cpu_limit} s of CPU time per process",
        }

    def _note_limits(self, cell):
        """Say which limit a cell's error comes from, if it comes from one."""
        if not isinstance(self.km, SandboxKernelManager):
            return
        for output in list(cell.outputs):
            if output.output_type != "error":
                continue
            text = f"{output.ename}: {output.evalue}"
            for words, limit in LIMIT_ERRORS:
                if words in text:
                    note = (
                        f"[sandbox] this cell hit the {limit} limit of grading "
                        f"({self._limits()[limit]})\n"
                    )
                    cell.outputs.append(
                        NotebookNode(output_type="stream", name="stdout", text=note)
                    )
                    return

    def _why_dead(self):
        """Why the kernel process ended, from its exit status."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        status = process.poll() if process is not None else None
        if status is None:
            return "it stopped answering"
        # bubblewrap exits with 128 + the signal that killed the kernel
        number = -status if status < 0 else status - 128 if status > 128 else None
        if number == signal.SIGXCPU and isinstance(self.km, SandboxKernelManager):
            return f"it hit the CPU time limit, {self._limits()['CPU time']}"
        if number == signal.SIGKILL:
            return (
                "it was killed: at the CPU time limit, by the system when out of memory, "
                "or by its own code"
            )
        try:
            return f"it was stopped by signal {signal.Signals(number).name}"
        except ValueError:  # not a signal (None included)
            return f"it exited with status {status}"

    def _stop_kernel(self):
        """Kill the kernel (and, in the sandbox, every process it started) now;
        nbclient's clean-up after the last cell copes with a dead kernel."""
        run_sync(self._async_stop_kernel)()

    async def _async_stop_kernel(self):
        try:
            await ensure_async(self.km.shutdown_kernel(now=True))
        except Exception as error:  # a kernel that is gone already
            self.log.warning("Stopping the kernel: %s", error)
