"""JupyterHub for the room (make classroom): every choice is here, in the order it matters.

scripts/hub_classroom.py checks the learner list, the cache, the ports and the memory, creates the
accounts, and writes the numbers this file reads to $CLASSROOM_SETTINGS (.classroom/run/).
The Kubernetes version of the same choices is classroom/z2jh-config.yaml.
"""

import json
import os
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

s = json.loads(Path(os.environ["CLASSROOM_SETTINGS"]).read_text())
state = Path(s["state"])
c = get_config()  # noqa: F821 (JupyterHub provides it)

# The room's address; the proxy's API and the hub itself listen on this machine only.
c.JupyterHub.ip = s["ip"]
c.JupyterHub.port = s["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = s["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [s["proxy"]]  # configurable-http-proxy from npm (make classroom)
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")

# Learners: only the names on the list; each sets a password the first time they log in
# (at least 8 characters); an instructor resets one by deleting it from the admin page.
c.JupyterHub.authenticator_class = "firstuseauthenticator.FirstUseAuthenticator"
c.FirstUseAuthenticator.dbm_path = str(state / "passwords.dbm")
c.FirstUseAuthenticator.create_users = False
c.FirstUseAuthenticator.min_password_length = 8
c.Authenticator.allowed_users = set(s["learners"])
c.Authenticator.admin_users = set(s["admins"])

# One system account and home per learner: each server runs as its learner, in their home (0700).
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(Path(s["venv_bin"]) / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab"  # JupyterLab
if s["repo"]:  # the first visit clones the course into the home; later visits update it
    query = urlencode(
        {"repo": s["repo"], "branch": s["branch"],
         "urlpath": f"lab/tree/{s['repo'].rstrip('/').split('/')[-1]}/notebooks"},
        quote_via=quote,
    )
    c.Spawner.default_url = f"/git-pull?{query}"
# The limit the sizing recommends (scripts/hub_classroom.py size). LocalProcessSpawner passes it to
# the server as MEM_LIMIT (JupyterLab's resource display) but cannot enforce it: the kernels of one
# learner are not fenced off from the others'. On Kubernetes the same number is enforced.
c.Spawner.mem_limit = f"{s['mem_limit_mb']}M"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
activity = str(max(5, min(300, s["cull_idle_after_s"] // 3)))
c.Spawner.environment = {
    # The prefetched models, shared read-only, and never a download attempt (a missing model
    # fails at once with the course's OfflineError instead of retrying the network).
    "HF_HOME": s["cache"],
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    # torch takes one thread per core by default: 30 kernels each taking every core thrash.
    "OMP_NUM_THREADS": str(s["threads"]),
    "PATH": f"{s['venv_bin']}:/usr/local/bin:/usr/bin:/bin",
    "NBGITPULLER_APP": "lab",
    "JUPYTERHUB_ACTIVITY_INTERVAL": activity,  # report activity often enough for the culler
    **s["extra_env"],
}

# Stop servers idle for cull_idle_after_s (their files stay; the next login starts a fresh one).
c.JupyterHub.last_activity_interval = int(activity)
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable, "-m", "jupyterhub_idle_culler",
            f"--timeout={s['cull_idle_after_s']}", f"--cull-every={s['cull_every_s']}",
        ],
    }
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
