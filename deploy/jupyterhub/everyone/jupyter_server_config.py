"""Every user's Jupyter server in the classroom (found on JUPYTER_CONFIG_PATH)."""

c = get_config()  # noqa: F821 (defined by Jupyter when it reads this file)

# A terminal runs bash as an interactive shell, not a login shell: a login shell
# reads /etc/profile, which on Debian resets PATH and would hide the hub's
# environment (python, jupyter, nbgrader) from the instructor's terminal.
c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash"]}
