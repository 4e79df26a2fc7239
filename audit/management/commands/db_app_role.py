"""Set up the PostgreSQL role the application (web, worker, beat) connects as.

The access log's protections hold only against a role that does not own its table: the owner (or a
superuser) can TRUNCATE it, ALTER it and disable its append-only triggers. Migrations run as the owner; the
application runs as this role, which gets

- SELECT, INSERT, UPDATE, DELETE on the tables, USAGE and SELECT on the sequences;
- INSERT and SELECT only on the append-only tables (`audit_accessevent`, plus any `--append-only TABLE`);
- SELECT only on `django_migrations`;
- never TRUNCATE, REFERENCES or TRIGGER, no ownership, no membership in the owner's role, no CREATEROLE;
- default privileges, so tables that later migrations create (as the owner) are usable at once.

Without --apply it prints the SQL. With --apply (run as the owner, e.g. right after `migrate`) it runs it in
one transaction and checks the result. Run it again after migrations that add tables to --append-only.
See docs/operations.md.
"""

import os
import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

APPEND_ONLY = ["audit_accessevent"]
READ_ONLY = ["django_migrations"]
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def quote(name: str) -> str:
    if not IDENTIFIER.match(name):
        raise CommandError(f"{name!r} is not a plain lower-case SQL identifier.")
    return f'"{name}"'


def grant_statements(
    *, role: str, owner: str, database: str, schema: str, append_only: list[str], read_only: list[str]
) -> list[str]:
    """The GRANT/REVOKE statements, safe to run again (they reset the role's table privileges first)."""
    r, o, s = quote(role), quote(owner), quote(schema)
    defaults = f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s}"
    statements = [
        f"GRANT CONNECT ON DATABASE {quote(database)} TO {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"{defaults} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"{defaults} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
    statements += [f"REVOKE UPDATE, DELETE ON {s}.{quote(t)} FROM {r}" for t in append_only]
    statements += [f"REVOKE INSERT, UPDATE, DELETE ON {s}.{quote(t)} FROM {r}" for t in read_only]
    return statements


def create_statement(role: str) -> str:
    return f"CREATE ROLE {quote(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


class Command(BaseCommand):
    help = (
        "Print (or with --apply, run) the SQL that sets up the application's database role: it can read and "
        "write the tables but cannot TRUNCATE, ALTER, disable triggers on, UPDATE or DELETE the access log."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, help="The application's role, e.g. cms_app.")
        parser.add_argument("--apply", action="store_true", help="Run the SQL (as the tables' owner).")
        parser.add_argument(
            "--create", action="store_true", help="Create the role (LOGIN, no other attributes) if missing."
        )
        parser.add_argument(
            "--password-env",
            default="APP_DB_PASSWORD",
            metavar="VAR",
            help="With --apply: set the role's password from this environment variable when it is set "
            "(default APP_DB_PASSWORD). The password is never printed.",
        )
        parser.add_argument(
            "--append-only",
            action="append",
            default=[],
            metavar="TABLE",
            help="Another table the role may only INSERT into and SELECT from (repeatable); "
            "audit_accessevent always is.",
        )
        parser.add_argument("--schema", default="public")

    def handle(self, *args, role, apply, create, password_env, append_only, schema, **options):
        if connection.vendor != "postgresql":
            raise CommandError("db_app_role is for PostgreSQL.")
        quote(role)
        append_only = list(dict.fromkeys(APPEND_ONLY + append_only))
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database(), current_user")
            database, current = cursor.fetchone()
            cursor.execute(
                "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)",
                [schema, append_only + READ_ONLY],
            )
            owners = dict(cursor.fetchall())
            cursor.execute("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s", [role])
            existing = cursor.fetchone()
        missing = [t for t in append_only + READ_ONLY if t not in owners]
        if missing:
            raise CommandError(f"No table {', '.join(missing)} in schema {schema}: run migrate first.")
        owner = owners["audit_accessevent"]
        if role == owner:
            raise CommandError(
                f"{role} owns the tables; the application must connect as a different role than the one "
                "that runs migrations."
            )
        statements = grant_statements(
            role=role,
            owner=owner,
            database=database,
            schema=schema,
            append_only=append_only,
            read_only=READ_ONLY,
        )
        if create and existing is None:
            statements.insert(0, create_statement(role))
        if not apply:
            self.stdout.write(f"-- Run as {owner} (the owner of the tables), e.g. with --apply.")
            if create and existing is None:
                self.stdout.write(f"-- then set its password: ALTER ROLE {quote(role)} PASSWORD '...';")
            self.stdout.write(";\n".join(statements) + ";")
            return
        if existing is None and not create:
            raise CommandError(f"No role {role}: pass --create, or create it first.")
        if existing is not None and (existing[0] or existing[1]):
            raise CommandError(f"{role} is a superuser or may create roles: it could undo every protection.")
        password = os.environ.get(password_env, "")
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            if password:
                # psycopg2 quotes the value as a literal; it is never printed or logged by this command.
                cursor.execute(f"ALTER ROLE {quote(role)} PASSWORD %s", [password])
            problems = self._check(cursor, role=role, owner=owner, schema=schema, append_only=append_only)
            if problems:
                raise CommandError(f"The role {role} still could: " + "; ".join(problems) + ".")
        self.stdout.write(
            self.style.SUCCESS(
                f"Role {role} set up by {current}: read/write on the tables, INSERT and SELECT only on "
                f"{', '.join(append_only)}; no TRUNCATE, no ownership."
            )
        )

    @staticmethod
    def _check(cursor, *, role: str, owner: str, schema: str, append_only: list[str]) -> list[str]:
        problems = []
        cursor.execute(
            "SELECT rolsuper OR rolcreaterole OR rolbypassrls, pg_has_role(%s, %s, 'MEMBER') "
            "FROM pg_roles WHERE rolname = %s",
            [role, owner, role],
        )
        powerful, member_of_owner = cursor.fetchone()
        if powerful:
            problems.append("act as a superuser, create roles or bypass row security")
        if member_of_owner:
            problems.append(f"act as {owner}, the tables' owner")
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tableowner = %s", [schema, role]
        )
        if cursor.fetchone()[0]:
            problems.append("own tables")
        for table in append_only:
            name = f"{schema}.{table}"
            for privilege in ("TRUNCATE", "UPDATE", "DELETE", "TRIGGER", "REFERENCES"):
                cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, name, privilege])
                if cursor.fetchone()[0]:
                    problems.append(f"{privilege} {table}")
        return problems
