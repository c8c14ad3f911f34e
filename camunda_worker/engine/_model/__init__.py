"""The engine's process model: BPMN parsing and validation, and the expressions it evaluates.

Owns :mod:`.bpmn` (BPMN 2.0 XML as the Camunda Modeler writes it, into process models),
:mod:`.definitions` (the immutable model the runtime executes), :mod:`.validation` (whole-process
checks, refused with Zeebe's messages), :mod:`.feel` (the FEEL language: parser, evaluator, built-in
functions) and :mod:`.conditions` (sequence-flow conditions, in FEEL). It knows nothing of
instances, jobs or HTTP: it imports nothing else of the engine.
"""
