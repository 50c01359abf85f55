"""What serves the course, built on the library (`snnlib`'s core and `snnlib.training`).

- `datasets`: MNIST, the bundled 5,000 digits (offline) and the full IDX files;
- `mnist`: NengoDL's tutorial network and its spiking evaluation; `sweeps`:
  accuracy as settings vary, and at every step of a run (lecture 06);
- `plots` and `widgets`: the lectures' figures and interactive explorers
  (`widgets` has one module per lecture topic);
- `grading`: the checks behind the problem sets' test cells;
- `demo`: ``python -m snnlib.course.demo``, spiking MNIST end to end, headless;
- `data/`: the bundled digits, the shipped trained weights and precomputed sweeps.

Nothing in the library imports from here (`lint-imports` checks it): a reader
of the core never needs this package.
"""
