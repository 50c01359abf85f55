"""nbgrader's settings for every user of the classroom: the course and its exchange.

Every user's server finds this file on JUPYTER_CONFIG_PATH (jupyterhub_config.py
sets it; classroom.py copies this file where every user can read it). The
instructor's course folder has its own nbgrader_config.py as well, the
repository's: its course_id must be the same as this one.
"""

import os

import nbgrader

c = get_config()  # noqa: F821 (defined by nbgrader when it reads this file)

# Students fetch and submit for this course; the instructor releases and collects it.
c.CourseDirectory.course_id = "spiking-cnns"

# The shared folder released problem sets, submissions and feedback pass through
# (mode 1777; classroom.py makes it). JupyterHub passes its path to every server.
if "CLASSROOM_EXCHANGE" in os.environ:
    c.Exchange.root = os.environ["CLASSROOM_EXCHANGE"]

# Feedback pages that load nothing from the internet: nbgrader's feedback template
# asks a CDN for MathJax; the template folder here, searched first, replaces that
# with nothing (templates/feedback/mathjax.html.j2). Setting the folders replaces
# nbgrader's default, so its own feedback templates are listed after ours.
c.HTMLExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(__file__), "templates"),
    os.path.join(
        os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"
    ),
]
