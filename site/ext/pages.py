"""What the site adds to the repository's own pages.

- Each problem set (exercises/*/*.ipynb, the version students receive, not
  executed) opens with a note on how to work on it.
- Every figure must say what it shows: an image without alt text is a warning,
  which fails the build (-W). A lecture's figure gets its alt text from its
  cell's metadata, ``{"mystnb": {"image": {"alt": "..."}}}``.
"""

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)
EXERCISES_PAGE = "/site/exercises"  # the page on the exercises (a docname, from the top)


def exercise_note(docname, path):
    """An admonition: how to work on the problem set at ``path``."""
    note = nodes.note()
    para = nodes.paragraph()
    para += nodes.strong(text="This is the problem set as students receive it")
    para += nodes.Text(
        " (released by nbgrader: without the solutions and the hidden tests), shown here "
        "without running it. To work on it, set up the course and start JupyterLab with "
    )
    para += nodes.literal(text="make lab")
    para += nodes.Text(", open ")
    para += nodes.literal(text=path)
    para += nodes.Text(", fill in each cell that raises ")
    para += nodes.literal(text="NotImplementedError")
    para += nodes.Text(
        ", run the tests below it, and press Validate to run them all. How it is graded: "
    )
    link = addnodes.pending_xref(
        "",
        nodes.inline(text="the exercises"),
        refdomain="std",
        reftype="doc",
        reftarget=EXERCISES_PAGE,
        refexplicit=True,
        refdoc=docname,
    )
    para += link
    para += nodes.Text(".")
    note += para
    return note


class ExerciseNote(SphinxTransform):
    default_priority = 400

    def apply(self):
        docname = self.env.docname
        if not docname.startswith("exercises/"):
            return
        section = next(self.document.findall(nodes.section), None)
        if section is None:
            return
        path = self.env.doc2path(docname).relative_to(self.env.srcdir).as_posix()
        title = section.next_node(nodes.title)
        section.insert(section.index(title) + 1, exercise_note(docname, path))


class FiguresHaveAltText(SphinxTransform):
    default_priority = 410  # after explorers.StaticExplorers has added its frames

    def apply(self):
        for image in self.document.findall(nodes.image):
            if image.get("alt", "").strip():
                continue
            cell = image.parent
            while cell is not None and cell.get("nb_element") != "cell_code":
                cell = cell.parent
            where = f"cell {cell['cell_index']}" if cell is not None else "an image"
            logger.warning(
                f"{where}: a figure without alt text; say what it shows in the cell's "
                'metadata, {"mystnb": {"image": {"alt": "..."}}}',
                location=cell if cell is not None else image,
            )


def setup(app):
    app.add_transform(ExerciseNote)
    app.add_transform(FiguresHaveAltText)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
