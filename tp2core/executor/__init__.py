"""Where runs train: ``local`` (each pytest process trains its own cells, today's path) or ``ray``.

Under Ray the controller plans (``plan``), checks every node against its own identity (``identity``) and
submits one Ray task per missing run (``ray_executor``); results are written to the controller's store as they
arrive, and the claim tests judge from that store exactly as under ``local``.
"""

EXECUTORS = ("local", "ray")
