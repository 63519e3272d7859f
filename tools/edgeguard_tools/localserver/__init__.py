"""``edgeguard local up|status|down``: a local cloud kept running in the background.

- ``state``: the state file (pid, endpoints, control token) that says where it runs;
- ``control``: the token-protected control endpoint on 127.0.0.1 and its client;
- ``server``: the background process (LocalCloud, moto's HTTP server, the control loop);
- ``client``: starting, asking and stopping it; running a ``--local`` command in it.
"""
