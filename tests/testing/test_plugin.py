"""The plugin is registered by installing the package, and importing the library never loads pytest."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

from .support import run_user_suite

pytest_plugins = ["pytester"]


def test_installing_the_package_registers_the_plugin_under_pytest11() -> None:
    entry_points = importlib.metadata.entry_points(group="pytest11")
    ours = [entry for entry in entry_points if entry.name == "camunda_worker"]
    assert [entry.value for entry in ours] == ["camunda_worker.pytest_plugin"]


def test_importing_the_library_does_not_import_pytest() -> None:
    code = (
        "import sys, camunda_worker, camunda_worker.testing, camunda_worker.worker, "
        "camunda_worker.engine; print('pytest' in sys.modules, '_pytest' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.split() == ["False", "False"]


def test_the_fixtures_and_markers_are_there_without_any_conftest(
    user_project: pytest.Pytester,
) -> None:
    fixtures = run_user_suite(user_project, "--fixtures")
    fixtures.stdout.fnmatch_lines(
        [
            "*camunda_engine* -- *pytest_plugin.py*",
            "*camunda_client* -- *",
            "*camunda_async_client* -- *",
            "*camunda_server* -- *",
            "*job_worker* -- *",
        ]
    )
    markers = run_user_suite(user_project, "--markers")
    markers.stdout.fnmatch_lines(
        ["@pytest.mark.camunda(*bpmn, faults=None*", "@pytest.mark.camunda_allow_leaks:*"]
    )


def test_the_plugin_can_be_switched_off(user_project: pytest.Pytester) -> None:
    user_project.makepyfile(test_engine="def test_engine(camunda_engine):\n    pass\n")
    result = run_user_suite(user_project, "-p", "no:camunda_worker")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'camunda_engine' not found*"])


def test_a_misspelt_marker_option_is_reported(user_project: pytest.Pytester) -> None:
    user_project.makepyfile(
        test_marker="""
import pytest

@pytest.mark.camunda(fault=["activate:503:1"])
def test_engine(camunda_engine):
    pass
"""
    )
    result = run_user_suite(user_project)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.camunda: unknown option(s) fault; expected bpmn*"])


def test_a_bad_bpmn_file_fails_the_tests_setup_with_the_engines_explanation(
    user_project: pytest.Pytester,
) -> None:
    user_project.path.joinpath("broken.bpmn").write_text(
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        '<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/>'
        '<bpmn:complexGateway id="approve"/></bpmn:process></bpmn:definitions>',
        encoding="utf-8",
    )
    user_project.makepyfile(
        test_marker="""
import pytest

@pytest.mark.camunda("broken.bpmn")
def test_engine(camunda_engine):
    pass
"""
    )
    result = run_user_suite(user_project)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*approve (bpmn:complexGateway)*"])
