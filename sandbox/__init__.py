"""A sandbox for students' code while nbgrader autogrades it (docs/sandbox.md).

- `sandbox.kernel.SandboxKernelManager` starts each kernel through bubblewrap, as
  an unprivileged user, with resource limits and no network;
- `sandbox.execute.SandboxedExecute`, nbgrader's Execute preprocessor for it,
  stops a kernel that cannot be interrupted, or that died, and grades the cells
  before it; it notes in the notebook (and so in the feedback) which limit was hit;
- ``python -m sandbox`` creates the dedicated user and checks the sandbox.

`make autograde` uses them; nbgrader imports this package from the course's root.
"""
