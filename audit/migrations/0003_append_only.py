"""The database refuses UPDATE and DELETE on the access log, whoever asks (the ORM, raw SQL, psql).

BEFORE UPDATE and BEFORE DELETE row triggers raise an exception, so the statement and its transaction fail.
There is deliberately no TRUNCATE trigger: the test suite's transactional tests (and `manage.py flush`)
empty every table with TRUNCATE, and a TRUNCATE trigger would break them. TRUNCATE needs the table's owner
(or the TRUNCATE privilege); production should run the application as a role that neither owns the table nor
holds TRUNCATE on it. The table owner can also disable the triggers; neither is something a trigger can stop,
which is why the log is also hash-chained (audit_verify) - see docs/audit.md.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_accessevent_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_accessevent is append-only: % of event % refused', TG_OP, OLD.id
        USING HINT = 'The access log can only be added to.';
END;
$$;

CREATE TRIGGER audit_accessevent_no_update
    BEFORE UPDATE ON audit_accessevent
    FOR EACH ROW EXECUTE FUNCTION audit_accessevent_refuse_change();

CREATE TRIGGER audit_accessevent_no_delete
    BEFORE DELETE ON audit_accessevent
    FOR EACH ROW EXECUTE FUNCTION audit_accessevent_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_accessevent_no_delete ON audit_accessevent;
DROP TRIGGER IF EXISTS audit_accessevent_no_update ON audit_accessevent;
DROP FUNCTION IF EXISTS audit_accessevent_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_hash_chain")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
