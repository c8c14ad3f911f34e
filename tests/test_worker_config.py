"""WorkerConfig: explicit field > CAMUNDA_WORKER_* > built-in default, and clear errors."""

from __future__ import annotations

import pickle

import attrs
import pytest

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._config.settings import CamundaSettings, resolve_settings
from camunda_worker._config.worker_config import WorkerConfig, resolve_worker_config


def test_defaults_apply_when_nothing_else_is_set() -> None:
    resolved = resolve_worker_config(
        WorkerConfig("payment", job_timeout_milliseconds=30_000), CamundaSettings()
    )
    assert resolved == WorkerConfig(
        job_type="payment",
        job_timeout_milliseconds=30_000,
        request_timeout_milliseconds=10_000,
        max_concurrent_jobs=10,
        fetch_variables=None,
        worker_name="camunda-worker",
        tenant_ids=None,
    )


def test_environment_fills_unset_fields_and_explicit_fields_win() -> None:
    settings = resolve_settings(
        environ={
            "CAMUNDA_WORKER_TIMEOUT": "5000",
            "CAMUNDA_WORKER_MAX_CONCURRENT_JOBS": "32",
            "CAMUNDA_WORKER_REQUEST_TIMEOUT": "20000",
            "CAMUNDA_WORKER_NAME": "env-worker",
            "CAMUNDA_WORKER_FETCH_VARIABLES": "a,b",
            "CAMUNDA_TENANT_IDS": "t1,t2",
        }
    ).settings
    inherited = resolve_worker_config(WorkerConfig("payment"), settings)
    assert inherited.job_timeout_milliseconds == 5000
    assert inherited.max_concurrent_jobs == 32
    assert inherited.request_timeout_milliseconds == 20000
    assert inherited.worker_name == "env-worker"
    assert inherited.fetch_variables == ("a", "b")
    assert inherited.tenant_ids == ("t1", "t2")
    explicit = resolve_worker_config(
        WorkerConfig(
            "payment",
            job_timeout_milliseconds=1000,
            max_concurrent_jobs=1,
            request_timeout_milliseconds=500,
            worker_name="mine",
            fetch_variables=["c"],
            tenant_ids=["t3"],
        ),
        settings,
    )
    assert explicit.job_timeout_milliseconds == 1000
    assert explicit.max_concurrent_jobs == 1
    assert explicit.request_timeout_milliseconds == 500
    assert explicit.worker_name == "mine"
    assert explicit.fetch_variables == ("c",)
    assert explicit.tenant_ids == ("t3",)


def test_single_tenant_id_is_the_fallback_tenant_list() -> None:
    settings = resolve_settings(environ={"CAMUNDA_TENANT_ID": "solo"}).settings
    config = WorkerConfig("payment", job_timeout_milliseconds=1)
    assert resolve_worker_config(config, settings).tenant_ids == ("solo",)


def test_missing_job_timeout_names_both_places_to_set_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_worker_config(WorkerConfig("payment"), CamundaSettings())
    message = str(caught.value)
    assert "job_timeout_milliseconds" in message
    assert "CAMUNDA_WORKER_TIMEOUT" in message
    assert "'payment'" in message
    assert caught.value.variable == "CAMUNDA_WORKER_TIMEOUT"


def test_settings_default_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMUNDA_WORKER_TIMEOUT", "4242")
    assert resolve_worker_config(WorkerConfig("payment")).job_timeout_milliseconds == 4242


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"job_type": ""}, "job_type"),
        ({"job_type": "   "}, "job_type"),
        ({"job_type": 42}, "job_type"),
        ({"job_timeout_milliseconds": 0}, "job_timeout_milliseconds"),
        ({"job_timeout_milliseconds": -1}, "job_timeout_milliseconds"),
        ({"job_timeout_milliseconds": 1.5}, "job_timeout_milliseconds"),
        ({"job_timeout_milliseconds": True}, "job_timeout_milliseconds"),
        ({"request_timeout_milliseconds": 0}, "request_timeout_milliseconds"),
        ({"max_concurrent_jobs": -3}, "max_concurrent_jobs"),
        ({"max_concurrent_jobs": "10"}, "max_concurrent_jobs"),
        ({"worker_name": ""}, "worker_name"),
        ({"fetch_variables": [1, 2]}, "fetch_variables"),
        ({"tenant_ids": 5}, "tenant_ids"),
    ],
)
def test_bad_fields_are_named(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"job_type": "payment", **kwargs}
    with pytest.raises(ConfigurationError) as caught:
        WorkerConfig(**arguments)  # type: ignore[arg-type]
    assert caught.value.variable == field
    assert field in str(caught.value)


def test_sequences_become_tuples_and_empty_means_all_variables() -> None:
    config = WorkerConfig("payment", fetch_variables=["a", " b "], tenant_ids=("x",))
    assert config.fetch_variables == ("a", "b")
    assert config.tenant_ids == ("x",)
    assert WorkerConfig("payment", fetch_variables="a, b").fetch_variables == ("a", "b")
    assert WorkerConfig("payment", fetch_variables=[]).fetch_variables is None


def test_worker_config_is_frozen_and_picklable() -> None:
    config = WorkerConfig("payment", job_timeout_milliseconds=1000, fetch_variables=["a"])
    assert pickle.loads(pickle.dumps(config)) == config
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.job_type = "other"  # type: ignore[misc]
