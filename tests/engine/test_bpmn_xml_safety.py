"""Deployed XML is untrusted: no DTD, no entity, in any encoding (parsed through defusedxml)."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camunda_worker.engine._runtime.core import Engine
from camunda_worker.engine._runtime.errors import EngineError

from ._bpmn_samples import MINIMAL

_BODY = MINIMAL.split("?>", 1)[1]  # the document without its XML declaration
_NAMED = _BODY.replace(
    '<bpmn:startEvent id="start" />', '<bpmn:startEvent id="start" name="&who;" />'
)
INTERNAL_ENTITY = f'<!DOCTYPE bpmn:definitions [<!ENTITY who "a surprise">]>{_NAMED}'
_LAUGHS = '<!ENTITY lol0 "lol">' + "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
)
BILLION_LAUGHS = f'<!DOCTYPE bpmn:definitions [{_LAUGHS}<!ENTITY who "&lol9;">]>{_NAMED}'
EXTERNAL_ENTITY = (
    f'<!DOCTYPE bpmn:definitions [<!ENTITY who SYSTEM "file:///etc/hostname">]>{_NAMED}'
)
EXTERNAL_DTD = f'<!DOCTYPE bpmn:definitions SYSTEM "http://127.0.0.1:9/evil.dtd">{_BODY}'
PARAMETER_ENTITY = (
    '<!DOCTYPE bpmn:definitions [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>'
    + _BODY
)


_XML_NAMES = {
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16LE",
    "utf-16-be": "UTF-16BE",
}
_ENCODINGS = list(_XML_NAMES)


def _encoded(text: str, encoding: str) -> bytes:
    """The document in ``encoding``, declared in its XML declaration ("utf-16": with a BOM)."""
    declaration = f'<?xml version="1.0" encoding="{_XML_NAMES.get(encoding, encoding)}"?>\n'
    return (declaration + text).encode(encoding)


def _refusal(engine: Engine, data: bytes, name: str = "evil.bpmn") -> EngineError:
    with pytest.raises(EngineError) as raised:
        engine.deploy([(name, data)])
    error = raised.value
    assert error.status == 400
    assert error.title == "INVALID_ARGUMENT"
    assert error.detail.startswith(
        "Command 'CREATE' rejected with code 'INVALID_ARGUMENT': Expected to deploy new "
        "resources, but encountered the following errors:\n"
    )
    assert f"'{name}'" in error.detail
    return error


@pytest.mark.parametrize(
    "document",
    [INTERNAL_ENTITY, BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["internal-entity", "billion-laughs", "external-entity", "external-dtd", "parameter"],
)
@pytest.mark.parametrize("encoding", _ENCODINGS)
def test_a_doctype_is_refused_in_any_encoding(engine: Engine, document: str, encoding: str) -> None:
    error = _refusal(engine, _encoded(document, encoding))
    assert "DOCTYPE and ENTITY declarations are not allowed" in error.detail
    assert "surprise" not in error.detail
    with pytest.raises(EngineError):
        engine.create_process_instance(process_definition_id="minimal")


@pytest.mark.parametrize("encoding", _ENCODINGS)
def test_a_plain_document_deploys_in_any_encoding(engine: Engine, encoding: str) -> None:
    result = engine.deploy([("minimal.bpmn", _encoded(_BODY, encoding))])
    [deployed] = result["deployments"]
    assert deployed["processDefinition"]["processDefinitionId"] == "minimal"


@pytest.mark.parametrize("declared", ["Shift_JIS", "UTF-32", "UTF-16-LE"])
def test_an_encoding_the_parser_cannot_read_is_a_400_not_a_crash(
    engine: Engine, declared: str
) -> None:
    # expat raises ValueError ("multi-byte encodings are not supported"), not a ParseError.
    data = f'<?xml version="1.0" encoding="{declared}"?>\n{_BODY}'.encode("ascii")
    error = _refusal(engine, data, "wide.bpmn")
    assert "not well-formed XML" in error.detail


def test_an_undeclared_entity_is_not_well_formed(engine: Engine) -> None:
    error = _refusal(engine, _encoded(_NAMED, "utf-8"))
    assert "not well-formed XML" in error.detail


def test_a_refused_doctype_over_http_is_a_400_problem(client: httpx.Client) -> None:
    data = _encoded(INTERNAL_ENTITY, "utf-16")
    response = client.post("/deployments", files={"resources": ("evil.bpmn", data)})
    assert response.status_code == 400
    problem = response.json()
    assert problem["title"] == "INVALID_ARGUMENT"
    assert "'evil.bpmn'" in problem["detail"]
    assert "DOCTYPE and ENTITY declarations are not allowed" in problem["detail"]


@settings(max_examples=40, deadline=None)
@given(
    declaration=st.sampled_from(["<!DOCTYPE", "<!doctype", "<!ENTITY"]),
    encoding=st.sampled_from([*_ENCODINGS, "utf-32"]),
    junk=st.text(st.sampled_from(" \t\n"), max_size=3),
)
def test_no_encoding_or_spacing_smuggles_a_declaration(
    declaration: str, encoding: str, junk: str
) -> None:
    engine = Engine()
    document = (
        f'<!DOCTYPE bpmn:definitions [{junk}<!ENTITY who "x">]>{_NAMED}'
        if declaration == "<!ENTITY"
        else f"{declaration}{junk or ' '}bpmn:definitions>{_BODY}"
    )
    with pytest.raises(EngineError) as raised:
        engine.deploy([("evil.bpmn", _encoded(document, encoding))])
    assert raised.value.status == 400
    assert "'evil.bpmn'" in raised.value.detail
