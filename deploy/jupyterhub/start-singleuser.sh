#!/bin/sh
# A user's Jupyter server. JupyterHub runs this as the user (LocalProcessSpawner)
# with the environment jupyterhub_config.py gives it, then talks to the server.
set -eu
# The hub's own folder, where this starts, is root's only: start from home.
cd "$HOME"
# Temporary files in the user's own home (mode 700), not in the /tmp that every
# account shares and can list.
export TMPDIR="$HOME/.cache/tmp"
mkdir -p "$TMPDIR"
chmod 700 "$TMPDIR"
# Students: a copy of every lecture they do not have yet, in ~/course/. Their
# own copies, to run and change; a copy is never replaced, so a lecture the
# instructor adds during the term arrives at the student's next start.
if [ "${CLASSROOM_ROLE:-}" = student ]; then
    mkdir -p course
    for lecture in "$CLASSROOM_LECTURES"/*; do
        copy="course/$(basename "$lecture")"
        [ -e "$copy" ] || cp "$lecture" "$copy"
    done
fi
exec jupyterhub-singleuser "$@"
