"""The masking helpers: every form of a secret, secrets of live objects, URLs."""

from __future__ import annotations

import base64
import gc
import html
import json
import re
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camunda_worker._base.redact import (
    MASK,
    known_secrets,
    redact_url,
    remember_secrets,
    scrub,
)

SECRET = "S3cr3t/x+y=&%é😀 \"\\'<"


def encodings(secret: str) -> dict[str, str]:
    """The forms an echoing server may hand a secret back in."""
    raw = secret.encode("utf-8")
    return {
        "raw": secret,
        "quote": quote(secret, safe=""),
        "quote with /": quote(secret),
        "quote lower-case hex": re.sub("%..", lambda m: m.group(0).lower(), quote(secret, safe="")),
        "quote_plus": quote_plus(secret, safe=""),
        "quote_plus with /": quote_plus(secret),
        "encoded twice": quote(quote_plus(secret, safe=""), safe=""),
        "JSON": json.dumps(secret)[1:-1],
        "JSON, unicode": json.dumps(secret, ensure_ascii=False)[1:-1],
        "JSON in JSON": json.dumps(json.dumps(secret)[1:-1])[1:-1],
        "JSON with \\/": json.dumps(secret)[1:-1].replace("/", "\\/"),
        "repr": repr(secret)[1:-1],
        "HTML": html.escape(secret),
        "base64": base64.b64encode(raw).decode(),
        "base64, URL-safe": base64.urlsafe_b64encode(raw).decode(),
        "base64, no padding": base64.b64encode(raw).decode().rstrip("="),
    }


@pytest.mark.parametrize(("name", "form"), encodings(SECRET).items())
def test_every_form_of_a_secret_is_masked(name: str, form: str) -> None:
    assert scrub(f"echo <{form}> end", [SECRET]).replace("=", "") == f"echo <{MASK}> end"


@pytest.mark.parametrize(("name", "form"), encodings(SECRET * 12).items())
def test_every_common_form_of_a_long_secret_is_masked(name: str, form: str) -> None:
    if name in ("JSON in JSON", "encoded twice"):
        form = encodings(SECRET * 12)["JSON" if name == "JSON in JSON" else "quote"]
    cleaned = scrub(f"echo <{form}> end", [SECRET * 12])
    assert cleaned.replace("=", "") == f"echo <{MASK}> end"


@settings(max_examples=60, deadline=None)
@given(secret=st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s), data=st.data())
def test_no_form_survives_scrubbing(secret: str, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(encodings(secret))))
    form = encodings(secret)[name]
    before, after = data.draw(st.text(max_size=10)), data.draw(st.text(max_size=10))
    assert form not in scrub(before + form + after, [secret])


def test_masking_that_joins_another_copy_is_repeated() -> None:
    # Masking "*Ω" in "x*ΩΩ" leaves "x***Ω", which holds "*Ω" again.
    assert scrub("x*ΩΩ", ["*Ω"]) == "x*****"


def test_text_without_a_secret_is_left_alone() -> None:
    text = "HTTP 401, invalid_client: Invalid client credentials"
    assert scrub(text, ["S3cr3t/x+y=&%", None, ""]) == text


class Holder:
    """Stands for an object holding secrets (an authentication, the settings)."""


def test_a_live_holder_has_its_secrets_masked_everywhere_and_only_while_it_lives() -> None:
    holder = Holder()
    remember_secrets(holder, ["holder-secret-Ω/+", None])
    assert "holder-secret-Ω/+" in known_secrets()
    assert scrub("got holder-secret-%CE%A9%2F%2B") == f"got {MASK}"
    remember_secrets(holder, ["replaced-secret-Ω"])  # a refreshed token replaces the old one
    assert "holder-secret-Ω/+" not in known_secrets()
    assert scrub("got replaced-secret-Ω") == f"got {MASK}"
    del holder
    gc.collect()
    assert "replaced-secret-Ω" not in known_secrets()
    assert scrub("got replaced-secret-Ω") == "got replaced-secret-Ω"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://localhost:8080/v2", "http://localhost:8080/v2"),
        (
            "https://idp.example/token?client_secret=S3cr3t%2F&audience=zeebe",
            "https://idp.example/token?***",
        ),
        ("https://idp.example/token?S3cr3t", "https://idp.example/token?***"),
        ("https://idp.example/token?a=1#S3cr3t", "https://idp.example/token?***#***"),
        ("https://user:S3cr3t@idp.example/token", "https://***@idp.example/token"),
        ("https://user:S3/cr3t@idp.example/token", "https://***@idp.example/token"),
        # An @ after a ? or #: a password holding one, or a query holding an @: mask it all.
        ("https://user:S3?cr3t@idp.example/token", "https://***"),
        ("https://idp.example/token?hint=me@example.com", "https://***"),
        ("idp.example/token?client_secret=S3cr3t", "idp.example/token?***"),
        # A secret holding "=" stood as a query name (hypothesis found "000\u03a9000="): the
        # whole query is masked, names too.
        ("https://idp.example/token?000\u03a9000=", "https://idp.example/token?***"),
        ("https://idp.example/token?abc=def", "https://idp.example/token?***"),
    ],
)
def test_urls_show_no_userinfo_query_value_or_fragment(url: str, shown: str) -> None:
    assert redact_url(url) == shown
