"""The demo behind ``camunda-worker demo``: an order process, its handlers and its orders.

- ``order-process.bpmn``: the process (package data; open it in the Camunda Modeler);
- :mod:`camunda_worker.demo.handlers`: one handler per job type, on each execution strategy;
- the orders, the progress display and the summary are private modules used by the command.
"""
