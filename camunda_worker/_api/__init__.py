"""What the Orchestration Cluster REST API v2 is, as data: its endpoints and its wire models.

Owns :mod:`.models` (the frozen pydantic models of what the server answers, tolerant of fields a
newer server adds) and :mod:`.endpoints` (one definition of each endpoint the clients call: method,
path, body, answer), and :mod:`.json_scan` (how an activation answer is split into its jobs when it
cannot be read in one pass). It says nothing about how bytes travel; it may import only
:mod:`.._base`.
"""
