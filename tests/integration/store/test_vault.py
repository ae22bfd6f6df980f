"""The encrypted vault: masking, one active LLM key, rotation, wrong keys."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from desk.adapters.crypto import generate_key
from desk.bootstrap import Runtime, bootstrap
from desk.domain.clock import FixedClock
from desk.domain.errors import (
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    VaultError,
)
from desk.domain.users import Actor, Channel
from desk.services import keys, users, vault
from tests.conftest import make_settings
from tests.planted import plant

ROOT = Actor.system(channel=Channel.CLI, label="cli")
LLM_KEY = plant("sk-or-v1-" + "a1b2c3d4" * 8)
KITE_KEY = plant("kiteapikey9q8w7e")
KITE_SECRET = plant("kitesecretZXCVBNM12345")


def _people(rt: Runtime) -> tuple[Actor, Actor]:
    bob = users.create_user(rt, ROOT, "bob")
    carol = users.create_user(rt, ROOT, "carol")
    return Actor.of(bob, Channel.API), Actor.of(carol, Channel.API)


def test_llm_keys_are_masked_and_one_is_active(runtime: Runtime) -> None:
    bob, carol = _people(runtime)
    first = vault.add_llm_credential(runtime, bob, api_key=LLM_KEY, label="main")
    vault.add_llm_credential(runtime, bob, api_key=LLM_KEY[::-1], label="spare")
    assert first.api_key == "••••" + LLM_KEY[-4:] and LLM_KEY not in repr(first)
    listed = {c.label: c.is_active for c in vault.list_llm_credentials(runtime, bob)}
    assert listed == {"main": False, "spare": True}
    assert vault.reveal_llm_key(runtime, bob.user_id or "").reveal() == LLM_KEY[::-1]  # type: ignore[union-attr]
    vault.set_llm_credential_active(runtime, bob, first.id, True)
    assert vault.reveal_llm_key(runtime, bob.user_id or "").reveal() == LLM_KEY  # type: ignore[union-attr]
    assert vault.list_llm_credentials(runtime, carol) == []
    with pytest.raises(NotFoundError):
        vault.set_llm_credential_active(runtime, carol, first.id, False)
    assert vault.reveal_llm_key(runtime, carol.user_id or "") is None
    assert len(vault.list_llm_credentials(runtime, ROOT)) == 2


def test_broker_credentials_and_session(runtime: Runtime, clock: FixedClock) -> None:
    bob, carol = _people(runtime)
    view = vault.add_broker_credential(runtime, bob, api_key=KITE_KEY, api_secret=KITE_SECRET)
    assert view.token_status == "missing" and KITE_SECRET not in str(view)
    expires = clock.now() + timedelta(hours=20)
    view = vault.store_access_token(
        runtime,
        bob,
        view.id,
        access_token="tok" + "x" * 29,
        expires_at=expires,
        broker_user_id="AB1234",
    )
    assert view.token_status == "valid" and view.access_token == "••••"
    secrets = vault.reveal_broker_secrets(runtime, view.id)
    assert secrets.api_secret.reveal() == KITE_SECRET and KITE_SECRET not in repr(secrets)
    clock.advance(timedelta(hours=19))
    assert vault.list_broker_credentials(runtime, bob)[0].token_status == "expiring"
    with pytest.raises(PermissionDeniedError):
        vault.update_broker_credential(runtime, ROOT, view.id, label="x")
    updated = vault.update_broker_credential(runtime, bob, view.id, api_secret="newsecret12345")
    assert updated.token_status == "missing"  # new app secret invalidates the session
    with pytest.raises(NotFoundError):
        vault.delete_broker_credential(runtime, carol, view.id)
    vault.delete_broker_credential(runtime, bob, view.id)
    assert vault.list_broker_credentials(runtime, bob) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"api_key": "short"}, "api_key"),
        ({"api_key": "has space in it"}, "api_key"),
        ({"api_key": LLM_KEY, "label": ""}, "label"),
        ({"api_key": LLM_KEY, "provider": "openai"}, "provider"),
    ],
)
def test_bad_llm_input_names_the_field_and_writes_nothing(
    runtime: Runtime, kwargs: dict[str, str], field: str
) -> None:
    bob, _ = _people(runtime)
    with pytest.raises(ValidationError) as info:
        vault.add_llm_credential(runtime, bob, **kwargs)  # type: ignore[arg-type]
    assert field in info.value.fields
    assert vault.list_llm_credentials(runtime, bob) == []


def test_rotation_reencrypts_and_old_keys_keep_working_until_then(
    store_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    old, new = generate_key(), generate_key()
    with bootstrap(make_settings(store_url, tmp_path, old), clock=clock) as rt:
        bob, _ = _people(rt)
        vault.add_llm_credential(rt, bob, api_key=LLM_KEY)
        vault.add_broker_credential(rt, bob, api_key=KITE_KEY, api_secret=KITE_SECRET)
    with bootstrap(make_settings(store_url, tmp_path, f"{new},{old}"), clock=clock) as rt:
        assert vault.reveal_llm_key(rt, bob.user_id or "").reveal() == LLM_KEY  # type: ignore[union-attr]
        assert {u.key_id: u.secrets for u in keys.key_usage(rt)}[rt.cipher.key_ids[1]] == 2
        assert keys.rotate_keys(rt, ROOT) == 2
        assert keys.rotate_keys(rt, ROOT) == 0
    with bootstrap(make_settings(store_url, tmp_path, new), clock=clock) as rt:
        assert vault.reveal_llm_key(rt, bob.user_id or "").reveal() == LLM_KEY  # type: ignore[union-attr]
        cred = vault.list_broker_credentials(rt, bob)[0]
        assert vault.reveal_broker_secrets(rt, cred.id).api_key.reveal() == KITE_KEY
    with (
        bootstrap(make_settings(store_url, tmp_path, old), clock=clock) as rt,
        pytest.raises(VaultError, match="cannot be decrypted"),
    ):
        vault.reveal_llm_key(rt, bob.user_id or "")


def test_invalid_key_material_is_a_clear_error(store_url: str, tmp_path: Path) -> None:
    for bad in ["nope", generate_key() + ",garbage", "a" * 44]:
        with pytest.raises(ConfigurationError, match="DESK_SECRET_KEYS"):
            bootstrap(make_settings(store_url, tmp_path, bad))


def test_ciphertext_only_in_the_database(runtime: Runtime) -> None:
    bob, _ = _people(runtime)
    vault.add_llm_credential(runtime, bob, api_key=LLM_KEY)
    vault.add_broker_credential(runtime, bob, api_key=KITE_KEY, api_secret=KITE_SECRET)
    with runtime.db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM llm_credentials")).all()
        rows += conn.execute(sa.text("SELECT * FROM broker_credentials")).all()
        rows += conn.execute(sa.text("SELECT payload FROM audit_events")).all()
    dump = repr(rows)
    for plaintext in (LLM_KEY, KITE_KEY, KITE_SECRET):
        assert plaintext not in dump
