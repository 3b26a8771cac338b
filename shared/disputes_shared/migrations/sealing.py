"""What the revisions that seal a service's personal data do: the ``data_keys`` table, the
personal columns turned to text, and every existing row sealed under its case's data key (or,
going down, opened back to plaintext); the outbox's bodies, sealed while they wait and cut
down to their header once published; and the dossiers a receiving agency holds, cut to their
handoff's purpose."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from ..contract.purposes import dossier_for
from ..plumbing.outbox import opened_body, purged_body, sealed_body
from ..plumbing.personal_data import KeyManagement, is_sealed, key_management, key_settings
from ..plumbing.sealed import CaseKeys, data_keys_table


def _keys(service: str) -> KeyManagement:
    """The keys the migration step was given (``ServiceSchema.upgrade``), else the service's
    own configuration: the same key file or KMS the service will run with."""
    given = context.config.attributes.get("keys")
    return given if given is not None else key_management(service, key_settings(service, os.environ))


def seal_personal_columns(service: str, table: str, json_columns: Sequence[str],
                          text_columns: Sequence[str] = (), lookup_columns: Sequence[str] = ()) -> None:
    """``json_columns`` (JSON documents) become text and, with ``text_columns``, are sealed;
    ``lookup_columns`` become keyed hashes."""
    op.create_table("data_keys", sa.Column("case_id", sa.String(64), primary_key=True),
                    sa.Column("kek_id", sa.String(64), nullable=False),
                    sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
                    sa.Column("created_at", sa.DateTime, nullable=False))
    op.create_index("ix_data_keys_kek_id", "data_keys", ["kek_id"])
    with op.batch_alter_table(table) as batch:
        for name in json_columns:
            batch.alter_column(name, type_=sa.Text, existing_type=sa.JSON)
    connection = op.get_bind()
    names = [*json_columns, *text_columns, *lookup_columns]
    rows = sa.Table(table, sa.MetaData(), sa.Column("case_id", sa.String(64), primary_key=True),
                    *(sa.Column(n, sa.Text) for n in names))
    found = connection.execute(sa.select(rows)).mappings().all()
    if not found:
        return
    keys = _keys(service)
    case_keys = CaseKeys(connection, data_keys_table(sa.MetaData()), keys)
    for row in found:
        changes: dict[str, Any] = {}
        for name in (*json_columns, *text_columns):
            if row[name] is not None:
                value = json.loads(row[name]) if name in json_columns else row[name]
                changes[name] = case_keys.seal(row["case_id"], value, f"{table}.{name}")
        for name in lookup_columns:
            changes[name] = keys.lookup_digest(row[name])
        connection.execute(sa.update(rows).where(rows.c.case_id == row["case_id"]).values(**changes))


def open_personal_columns(service: str, table: str, json_columns: Sequence[str],
                          text_columns: Sequence[str] = (), derive: dict[str, Any] | None = None) -> None:
    """Back to plaintext: every sealed value opened, the JSON columns JSON again, ``data_keys``
    dropped; ``derive`` recomputes a lookup column from the opened row (name: function)."""
    connection = op.get_bind()
    names = [*json_columns, *text_columns, *(derive or {})]
    rows = sa.Table(table, sa.MetaData(), sa.Column("case_id", sa.String(64), primary_key=True),
                    *(sa.Column(n, sa.Text) for n in names))
    found = connection.execute(sa.select(rows)).mappings().all()
    if found:
        case_keys = CaseKeys(connection, data_keys_table(sa.MetaData()), _keys(service))
        for row in found:
            opened = {name: case_keys.open(row["case_id"], row[name], f"{table}.{name}")
                      for name in (*json_columns, *text_columns) if row[name] is not None}
            changes = {name: json.dumps(value, ensure_ascii=False) if name in json_columns else value
                       for name, value in opened.items()}
            for name, function in (derive or {}).items():
                changes[name] = function(opened)
            connection.execute(sa.update(rows).where(rows.c.case_id == row["case_id"]).values(**changes))
    with op.batch_alter_table(table) as batch:
        for name in json_columns:
            batch.alter_column(name, type_=sa.JSON, existing_type=sa.Text,
                               postgresql_using=f"{name}::json")
    op.drop_index("ix_data_keys_kek_id", "data_keys")
    op.drop_table("data_keys")


def _outbox() -> sa.Table:
    return sa.Table("outbox", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("case_id", sa.String(64)), sa.Column("body", sa.Text),
                    sa.Column("published_at", sa.DateTime))


def seal_outbox_bodies(service: str, personal_data: bool = True) -> None:
    """Every published body cut down to its header; every waiting one sealed under its case's
    data key where the case has one (in a service that keeps ``personal_data``)."""
    connection = op.get_bind()
    outbox = _outbox()
    found = [row for row in connection.execute(sa.select(outbox)).all() if not is_sealed(row.body)]
    waiting = any(row.published_at is None for row in found)
    case_keys = (CaseKeys(connection, data_keys_table(sa.MetaData()), _keys(service))
                 if personal_data and waiting else None)
    for row in found:
        body = (purged_body(row.body) if row.published_at is not None
                else sealed_body(case_keys, row.case_id, row.body))
        if body != row.body:
            connection.execute(sa.update(outbox).where(outbox.c.id == row.id).values(body=body))


def open_outbox_bodies(service: str) -> None:
    """Back to the clear: every waiting body opened. A published body stays its header: the
    payload it was cut from is gone."""
    connection = op.get_bind()
    outbox = _outbox()
    sealed = [row for row in connection.execute(sa.select(outbox)).all() if is_sealed(row.body)]
    if not sealed:
        return
    case_keys = CaseKeys(connection, data_keys_table(sa.MetaData()), _keys(service))
    for row in sealed:
        connection.execute(sa.update(outbox).where(outbox.c.id == row.id)
                           .values(body=opened_body(case_keys, row.case_id, row.body)))


def cut_dossiers_to_their_purpose(service: str, table: str) -> None:
    """Every dossier the agency's cases hold cut to the fields of their handoff's purpose: those
    received whole, before the dossier's major 2. Nothing comes back going down: what was cut
    is gone, as the minimisation asks."""
    connection = op.get_bind()
    rows = sa.Table(table, sa.MetaData(), sa.Column("case_id", sa.String(64), primary_key=True),
                    sa.Column("purpose", sa.String(32)), sa.Column("dossier", sa.Text))
    found = connection.execute(sa.select(rows)).mappings().all()
    if not found:
        return
    case_keys = CaseKeys(connection, data_keys_table(sa.MetaData()), _keys(service))
    where = f"{table}.dossier"
    for row in found:
        whole = case_keys.open(row["case_id"], row["dossier"], where)
        cut = dossier_for(row["purpose"], whole)
        if cut != whole:
            connection.execute(sa.update(rows).where(rows.c.case_id == row["case_id"]).values(
                dossier=case_keys.seal(row["case_id"], cut, where)))
