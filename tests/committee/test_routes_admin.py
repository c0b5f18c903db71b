"""The admin routes' forms (issue #18 follow-up): declared the way pydantic 2.12+ does not warn
about (``Annotated[str, Form(...)]``, not ``str = Form(..., max_length=...)``), with the same
fields, order and limits as before."""

from __future__ import annotations

import warnings

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cartrial.committee.routes_admin import admin_routes


class _NoContext:
    """The routes' context, never reached: a form that fails validation is refused first."""


def _app() -> FastAPI:
    app = FastAPI()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as -W error: registering the routes warns nothing
        admin_routes(app, _NoContext())
        app.openapi()
    return app


def test_the_forms_register_without_a_warning() -> None:
    body = _app().openapi()["components"]["schemas"]
    role = body["Body_role_admin_users__username__role_post"]
    assert list(role["properties"]) == ["csrf_token", "new_role"]
    assert role["required"] == ["new_role"]
    assert role["properties"]["new_role"]["maxLength"] == 20
    status = body["Body_status_admin_users__username__status_post"]
    assert list(status["properties"]) == ["csrf_token", "active", "reason"]
    assert status["properties"]["reason"]["maxLength"] == 2000
    password = body["Body_password_admin_users__username__password_post"]
    assert password["properties"]["new_password"]["maxLength"] == 256


@pytest.mark.parametrize(("path", "form"), [
    ("role", {"new_role": "x" * 21}), ("role", {}),
    ("status", {"active": "0", "reason": "x" * 2001}), ("status", {}),
    ("password", {"new_password": "x" * 257}), ("password", {}),
])
def test_a_form_over_its_limits_or_missing_a_field_is_refused(path, form) -> None:
    client = TestClient(_app())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = client.post(f"/admin/users/someone/{path}", data={"csrf_token": "t", **form})
    assert got.status_code == 422
