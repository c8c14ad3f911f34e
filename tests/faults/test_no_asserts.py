"""Checks that were ``assert`` statements still hold where asserts vanish (``python -O``).

The library has no ``assert`` statement any more (ruff's S101 keeps it so): each one became an
explicit check raising a proper error. These are the checks a user can reach.
"""

from __future__ import annotations

import pytest

from camunda_worker import CamundaSettings, ConfigurationError
from camunda_worker._auth.schemes import build_auth


@pytest.mark.parametrize(
    ("strategy", "variable"),
    [("BASIC", "CAMUNDA_BASIC_AUTH_USERNAME"), ("OAUTH", "CAMUNDA_CLIENT_ID")],
)
def test_settings_built_without_validation_and_without_credentials_are_refused(
    strategy: str, variable: str
) -> None:
    # model_construct skips CamundaSettings' own check: the authentication checks again.
    settings = CamundaSettings.model_construct(
        **{**CamundaSettings().model_dump(), "auth_strategy": strategy}
    )

    with pytest.raises(ConfigurationError) as refused:
        build_auth(settings)

    assert refused.value.variable == variable
    assert f"CAMUNDA_AUTH_STRATEGY={strategy} needs" in str(refused.value)
