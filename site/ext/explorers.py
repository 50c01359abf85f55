"""The lectures' explorers on the website: static copies, marked as such, with frames.

An explorer executed at build time leaves its controls and its first figure in
the notebook's widget state, which the widget manager draws on the page; no
kernel runs behind it, so moving a control would change nothing. For every
cell that shows a widget, this extension

- puts a note above it that says so and how to make it live (`make lab`, or the
  notebook's download button); static/explorers.js freezes its controls and
  gives its figure the alt text in the cell's metadata
  (``{"mystnb": {"image": {"alt": ...}}}``, the key myst-nb reads for images);
- for the explorers in frames.SWEEPS, adds precomputed frames below it: figures
  of one control swept through its values, which explorers.js turns into a
  player (a slider and a play button).

Frames are drawn once and kept beside myst-nb's execution cache (which is
emptied when snnlib changes, execution_cache.py), in a folder named after a
hash of frames.py. On a build without them, a process of their own draws them
from the start, while the lectures run in their kernel: on two cores the
frames then cost the build little time.
"""

import html
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from functools import cache

import frames
from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
EXPLORER_CALL = re.compile(r"\bwidgets\.(\w+_explorer)\(")
logger = logging.getLogger(__name__)

STATIC_NOTE = """<div class="static-explorer-note" role="note" data-figure-alt="{alt}">
<p><strong>A static copy.</strong> Below are this explorer's controls and the first figure
it drew when the lecture ran; on this page the controls are frozen.{frames} To move them,
run the lecture in JupyterLab: <code>make lab</code> in the course's repository, or
download this notebook with the download button at the top of the page.</p>
</div>"""
FRAMES_HINT = (
    " Below the figure, frames drawn when the site was built sweep one control through"
    " some of its values."
)


def widget_cells(document):
    """The code cells of ``document`` whose output shows a widget."""
    for cell in document.findall(nodes.container):
        if cell.get("nb_element") == "cell_code" and any(
            part.get("mime_type") == WIDGET_VIEW for part in cell.findall(nodes.container)
        ):
            yield cell


def cell_part(cell, nb_element):
    """The cell's source ("cell_code_source") or outputs ("cell_code_output"), or None."""
    return next((c for c in cell.children if c.get("nb_element") == nb_element), None)


def cell_alt(cell):
    return cell.get("cell_metadata", {}).get("mystnb", {}).get("image", {}).get("alt", "")


_drawing = {}  # explorer -> Future of frames.draw, set by start_drawing
_drawing_pid = None  # the process that started them (a parallel build forks workers)


def start_drawing(app, env, docnames):
    """When lectures are about to be read, draw every explorer's frames in a
    process of their own, in lecture order, while the lectures run.

    A process, not a thread of the build: it draws on the other core without
    taking turns with the build for Python's interpreter lock.
    """
    global _drawing_pid
    if not any(name.startswith("course/") for name in docnames):
        return
    cache_dir = env.mystnb_config.execution_cache_path
    if all(frames.manifest_path(e, cache_dir).exists() for e in frames.SWEEPS):
        return
    logger.info("drawing the explorers' frames in the background")
    spawn = multiprocessing.get_context("spawn")  # no fork of a process with kernels' sockets
    pool = ProcessPoolExecutor(max_workers=1, mp_context=spawn)
    _drawing.update((e, pool.submit(frames.draw, e, cache_dir)) for e in frames.SWEEPS)
    pool.shutdown(wait=False)
    _drawing_pid = os.getpid()


@cache
def sweeps_of(explorer, cache_dir):
    """``[(sweep title, [(caption, alt, png path)])]`` for ``explorer``."""
    if os.getpid() == _drawing_pid and explorer in _drawing:
        return _drawing[explorer].result()  # raises what the drawing raised
    return frames.draw(explorer, cache_dir)


def frames_nodes(explorer, cache_dir, srcdir):
    """One container per sweep: a title, then a figure per frame."""
    result = []
    for title, drawn in sweeps_of(explorer, cache_dir):
        box = nodes.container(classes=["explorer-frames"])
        heading = nodes.paragraph(classes=["explorer-frames-title"])
        heading += nodes.strong(text="Precomputed frames: ")
        heading += nodes.Text(f"{title} ({len(drawn)} figures)")
        box += heading
        for caption, alt, png in drawn:
            figure = nodes.figure(classes=["explorer-frame"])
            # a path from the source folder, as myst-nb gives its own outputs: Sphinx
            # copies the file into _images/
            figure += nodes.image(uri="/" + os.path.relpath(png, srcdir), alt=alt)
            figure += nodes.caption(text=caption)
            box += figure
        result.append(box)
    return result


class StaticExplorers(SphinxTransform):
    """Mark every widget output as a static copy; add frames where there are some."""

    default_priority = 400

    def apply(self):
        cache_dir = self.env.mystnb_config.execution_cache_path
        for cell in widget_cells(self.document):
            source = cell_part(cell, "cell_code_source")
            match = EXPLORER_CALL.search(source.astext()) if source is not None else None
            explorer = match.group(1) if match else None
            alt = cell_alt(cell)
            if not alt:
                logger.warning(
                    f"cell {cell['cell_index']} shows a widget whose figure has no alt text: "
                    'describe it in the cell\'s metadata, {"mystnb": {"image": {"alt": ...}}}',
                    location=cell,
                )
            output = cell_part(cell, "cell_code_output")
            has_frames = explorer in frames.SWEEPS
            note = STATIC_NOTE.format(
                alt=html.escape(alt), frames=FRAMES_HINT if has_frames else ""
            )
            output.insert(0, nodes.raw("", note, format="html"))
            if has_frames:
                for box in frames_nodes(explorer, cache_dir, self.env.srcdir):
                    for figure in box.findall(nodes.figure):
                        self.document.set_id(figure)  # Sphinx numbers figures by id
                    output += box


def setup(app):
    app.add_transform(StaticExplorers)
    app.connect("env-before-read-docs", start_drawing)
    app.add_js_file("explorers.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
