"""``inv db.advisors``: the platform's Security and Performance Advisor lints, run against a live
database (local, staging or production) inside a read-only transaction.

Each lint is a catalog query written here from what the lint means (the names and levels are
the platform's, so a finding reads the same as in the dashboard). "Exposed" means a schema
the Data API serves: ``public`` and ``supabase/config.toml``'s ``[api] schemas``. Platform
schemas (auth, storage, extensions...) are left out of the lints about the user's own objects.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

from dbflow.config import Settings
from dbflow.connection import Conn, connect
from dbflow.errors import DbflowError
from dbflow.places.gate import clear
from dbflow.platform_schemas import MANAGED_SCHEMAS
from dbflow.validate.reporters import sarif_log

Level = Literal["ERROR", "WARN", "INFO"]
Category = Literal["SECURITY", "PERFORMANCE"]
DOCS = "https://supabase.com/docs/guides/database/database-linter?lint="

# A role the Data API runs queries as can read the relation.
_READABLE = (
    "(has_table_privilege('anon', c.oid, 'SELECT') "
    "OR has_table_privilege('authenticated', c.oid, 'SELECT'))"
)
_OWN = "n.nspname <> ALL(%(managed)s) AND n.nspname NOT LIKE 'pg\\_%%'"
_NOT_EXTENSION = "NOT EXISTS (SELECT FROM pg_depend e WHERE e.objid = c.oid AND e.deptype = 'e')"
_NAME = "format('%%I.%%I', n.nspname, c.relname)"


def _definer_executable_by(role: str) -> str:
    """SECURITY DEFINER functions of the exposed schemas that ``role`` may call (trigger
    functions cannot be called, extensions' are theirs)."""
    return f"""
SELECT format('%%I.%%I(%%s)', n.nspname, p.proname,
              pg_get_function_identity_arguments(p.oid)),
       'security definer function executable by {role}'
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prosecdef AND n.nspname = ANY(%(api)s) AND p.prorettype <> 'trigger'::regtype
  AND has_function_privilege('{role}', p.oid, 'EXECUTE')
  AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.objid = p.oid AND e.deptype = 'e')
ORDER BY 1"""


@dataclass(frozen=True)
class Lint:
    code: str  # the platform's number, e.g. 0013
    name: str
    title: str
    level: Level
    category: Category
    description: str
    query: str  # rows of (object, detail)
    needs: str | None = None  # a relation the query reads, when the database may lack it

    @property
    def remediation(self) -> str:
        return f"{DOCS}{self.code}_{self.name}"


@dataclass(frozen=True)
class Advice:
    lint: str
    code: str
    title: str
    level: Level
    category: Category
    object: str
    detail: str
    remediation: str

    @property
    def cache_key(self) -> str:
        return f"{self.lint}_{self.object}"


@dataclass
class AdvisorReport:
    target: str
    findings: list[Advice] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # lints the database cannot answer

    def count(self, level: str) -> int:
        return sum(1 for finding in self.findings if finding.level == level)


LINTS: tuple[Lint, ...] = (
    Lint(
        "0001",
        "unindexed_foreign_keys",
        "Unindexed foreign keys",
        "INFO",
        "PERFORMANCE",
        "A foreign key with no index starting with its columns: deletes and joins on the "
        "parent scan the whole child table.",
        f"""
SELECT {_NAME}, format('foreign key %%I on (%%s) has no index starting with its columns',
                        con.conname, cols.list)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) AS list
    FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) cols
WHERE con.contype = 'f' AND {_OWN}
  AND NOT EXISTS (
    SELECT FROM pg_index i WHERE i.indrelid = con.conrelid
      AND (SELECT array_agg(x ORDER BY x) FROM unnest(
              (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(con.conkey)]) x)
        = (SELECT array_agg(x ORDER BY x) FROM unnest(con.conkey) x))
ORDER BY 1, 2""",
    ),
    Lint(
        "0002",
        "auth_users_exposed",
        "Exposed auth users",
        "ERROR",
        "SECURITY",
        "A view or materialized view in an exposed schema reads auth.users and the API's roles "
        "can read it: emails and metadata of every user are one request away.",
        f"""
SELECT DISTINCT {_NAME}, CASE c.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END
       || ' reads auth.users and anon or authenticated can select from it'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_rewrite r ON r.ev_class = c.oid
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                 AND d.refobjid = to_regclass('auth.users')
WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY(%(api)s) AND {_READABLE}
  AND (c.relkind = 'm' OR NOT coalesce(c.reloptions && ARRAY['security_invoker=on',
       'security_invoker=true', 'security_invoker=1'], false))
ORDER BY 1""",
    ),
    Lint(
        "0003",
        "auth_rls_initplan",
        "Auth RLS initialization plan",
        "WARN",
        "PERFORMANCE",
        "A policy calls auth.uid(), auth.jwt(), auth.role(), auth.email() or current_setting() "
        "for every row; wrapped as (select auth.uid()) it is computed once per query.",
        f"""
SELECT {_NAME}, format('policy %%I calls %%s per row', p.polname,
       substring(expr FROM '(auth\\.(uid|jwt|role|email)|current_setting)\\('))
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (SELECT concat_ws(' ', pg_get_expr(p.polqual, p.polrelid),
                                     pg_get_expr(p.polwithcheck, p.polrelid)) AS expr) e
WHERE {_OWN}
  AND regexp_replace(expr, '\\(\\s*SELECT\\s+(auth\\.(uid|jwt|role|email)|current_setting)'
                           '\\([^()]*\\)[^()]*\\)', '', 'gi')
      ~* '(auth\\.(uid|jwt|role|email)|current_setting)\\('
ORDER BY 1, 2""",
    ),
    Lint(
        "0004",
        "no_primary_key",
        "No primary key",
        "INFO",
        "PERFORMANCE",
        "A table without a primary key: rows cannot be told apart reliably, and logical "
        "replication cannot update or delete them.",
        f"""
SELECT {_NAME}, 'table has no primary key'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {_OWN} AND {_NOT_EXTENSION}
  AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
ORDER BY 1""",
    ),
    Lint(
        "0005",
        "unused_index",
        "Unused index",
        "INFO",
        "PERFORMANCE",
        "An index never used to read, on a table that has been read: it slows every write and "
        "takes space for nothing. Only where the statistics have seen the table used.",
        f"""
SELECT format('%%I.%%I', n.nspname, ic.relname),
       format('index on %%s never scanned, while the table was read %%s time(s)',
              {_NAME}, t.seq_scan + coalesce(t.idx_scan, 0))
FROM pg_stat_user_indexes s
JOIN pg_index i ON i.indexrelid = s.indexrelid
JOIN pg_class ic ON ic.oid = s.indexrelid
JOIN pg_class c ON c.oid = s.relid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_stat_user_tables t ON t.relid = s.relid
WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary AND {_OWN}
  AND t.seq_scan + coalesce(t.idx_scan, 0) > 0
  AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY 1""",
    ),
    Lint(
        "0006",
        "multiple_permissive_policies",
        "Multiple permissive policies",
        "WARN",
        "PERFORMANCE",
        "More than one permissive policy for the same role and action: every one of them runs "
        "for every row; merge them into one.",
        f"""
SELECT {_NAME}, format('role %%s, %%s: policies %%s', r.rolname, a.action,
                        string_agg(quote_ident(p.polname), ', ' ORDER BY p.polname))
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN (VALUES ('r', 'select'), ('a', 'insert'), ('w', 'update'), ('d', 'delete'))
     a(cmd, action)
JOIN pg_roles r ON r.rolname IN ('anon', 'authenticated', 'authenticator', 'dashboard_user')
WHERE p.polpermissive AND {_OWN} AND p.polcmd IN (a.cmd, '*')
  AND (0 = ANY(p.polroles) OR r.oid = ANY(p.polroles))
GROUP BY n.nspname, c.relname, r.rolname, a.action
HAVING count(*) > 1
ORDER BY 1, 2""",
    ),
    Lint(
        "0007",
        "policy_exists_rls_disabled",
        "Policy exists, RLS disabled",
        "ERROR",
        "SECURITY",
        "A table has policies but row level security is off: the policies do nothing.",
        f"""
SELECT {_NAME}, format('policies %%s exist but RLS is not enabled',
                        string_agg(quote_ident(p.polname), ', ' ORDER BY p.polname))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_policy p ON p.polrelid = c.oid
WHERE NOT c.relrowsecurity AND {_OWN}
GROUP BY n.nspname, c.relname
ORDER BY 1""",
    ),
    Lint(
        "0008",
        "rls_enabled_no_policy",
        "RLS enabled, no policy",
        "INFO",
        "SECURITY",
        "Row level security is on and no policy exists: the API's roles see no row; add the "
        "policies the table needs (or say in a comment that it is closed on purpose).",
        f"""
SELECT {_NAME}, 'RLS is enabled and the table has no policy'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity AND {_OWN}
  AND NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid)
ORDER BY 1""",
    ),
    Lint(
        "0009",
        "duplicate_index",
        "Duplicate index",
        "WARN",
        "PERFORMANCE",
        "Two or more indexes with the same columns, expressions, predicate and operator classes: "
        "keep one.",
        f"""
SELECT {_NAME}, format('indexes %%s index the same columns the same way (keep one)',
                        string_agg(quote_ident(ic.relname), ', ' ORDER BY ic.relname))
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_OWN}
GROUP BY n.nspname, c.relname, i.indkey::text, i.indclass::text, i.indcollation::text,
         coalesce(pg_get_expr(i.indexprs, i.indrelid), ''),
         coalesce(pg_get_expr(i.indpred, i.indrelid), ''), ic.relam
HAVING count(*) > 1
ORDER BY 1""",
    ),
    Lint(
        "0010",
        "security_definer_view",
        "Security definer view",
        "ERROR",
        "SECURITY",
        "A view in an exposed schema runs with its owner's rights (no security_invoker=on), so "
        "it reads past the row level security of the tables under it.",
        f"""
SELECT {_NAME}, 'view without security_invoker=on, readable by anon or authenticated'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'v' AND n.nspname = ANY(%(api)s) AND {_READABLE} AND {_NOT_EXTENSION}
  AND NOT coalesce(c.reloptions && ARRAY['security_invoker=on', 'security_invoker=true',
                                         'security_invoker=1'], false)
ORDER BY 1""",
    ),
    Lint(
        "0011",
        "function_search_path_mutable",
        "Function search path mutable",
        "WARN",
        "SECURITY",
        "A function without its own search_path runs with the caller's: a caller can make it "
        "resolve names to objects of their choosing. Add SET search_path = ''.",
        f"""
SELECT format('%%I.%%I(%%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
       CASE WHEN p.prosecdef THEN 'security definer function' ELSE 'function' END
       || ' without SET search_path'
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE {_OWN} AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.objid = p.oid AND e.deptype = 'e')
  AND NOT EXISTS (SELECT FROM unnest(coalesce(p.proconfig, '{{}}')) setting
                  WHERE setting LIKE 'search_path=%%')
ORDER BY 1""",
    ),
    Lint(
        "0013",
        "rls_disabled_in_public",
        "RLS disabled in public",
        "ERROR",
        "SECURITY",
        "A table in an exposed schema that the API's roles can read, with row level security "
        "off: anyone with the anon key reads (and may write) every row.",
        f"""
SELECT {_NAME}, 'RLS is disabled and anon or authenticated can select from it'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND n.nspname = ANY(%(api)s)
  AND {_READABLE} AND {_NOT_EXTENSION}
ORDER BY 1""",
    ),
    Lint(
        "0014",
        "extension_in_public",
        "Extension in public",
        "WARN",
        "SECURITY",
        "An extension installed into public: its functions are exposed through the API and "
        "clutter the schema. Create it in the extensions schema.",
        """
SELECT quote_ident(e.extname), format('extension %%s %%s is installed in public', e.extname,
                                      e.extversion)
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE n.nspname = 'public'
ORDER BY 1""",
    ),
    Lint(
        "0015",
        "rls_references_user_metadata",
        "RLS references user metadata",
        "ERROR",
        "SECURITY",
        "A policy trusts user_metadata from the JWT, which every user can change about "
        "themselves; use app_metadata or a table.",
        f"""
SELECT {_NAME}, format('policy %%I reads user_metadata', p.polname)
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE concat_ws(' ', pg_get_expr(p.polqual, p.polrelid),
                pg_get_expr(p.polwithcheck, p.polrelid)) ~* 'user_metadata'
ORDER BY 1, 2""",
    ),
    Lint(
        "0016",
        "materialized_view_in_api",
        "Materialized view in API",
        "WARN",
        "SECURITY",
        "A materialized view the API's roles can read: it has no row level security, every row "
        "is readable.",
        f"""
SELECT {_NAME}, 'materialized view readable by anon or authenticated'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'm' AND n.nspname = ANY(%(api)s) AND {_READABLE} AND {_NOT_EXTENSION}
ORDER BY 1""",
    ),
    Lint(
        "0017",
        "foreign_table_in_api",
        "Foreign table in API",
        "WARN",
        "SECURITY",
        "A foreign table the API's roles can read: foreign tables have no row level security.",
        f"""
SELECT {_NAME}, 'foreign table readable by anon or authenticated'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'f' AND n.nspname = ANY(%(api)s) AND {_READABLE} AND {_NOT_EXTENSION}
ORDER BY 1""",
    ),
    Lint(
        "0018",
        "unsupported_reg_types",
        "Unsupported reg types",
        "WARN",
        "SECURITY",
        "A column of a reg* type that pg_upgrade cannot carry (it stores OIDs): it blocks the "
        "project's next major version upgrade.",
        f"""
SELECT format('%%I.%%I.%%I', n.nspname, c.relname, a.attname),
       format('column of type %%s', format_type(a.atttypid, a.atttypmod))
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'm') AND {_OWN}
  AND a.atttypid IN ('regcollation'::regtype, 'regconfig'::regtype,
      'regdictionary'::regtype, 'regnamespace'::regtype, 'regoper'::regtype,
      'regoperator'::regtype, 'regproc'::regtype, 'regprocedure'::regtype)
ORDER BY 1""",
    ),
    Lint(
        "0019",
        "insecure_queue_exposed_in_api",
        "Insecure queue exposed in API",
        "ERROR",
        "SECURITY",
        "A pgmq queue table without row level security while the queue API (pgmq_public) is "
        "exposed: anyone with the anon key reads the queue's messages.",
        f"""
SELECT {_NAME}, 'queue table without RLS, readable by anon or authenticated'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'pgmq' AND c.relname LIKE 'q\\_%%' AND c.relkind IN ('r', 'p')
  AND NOT c.relrowsecurity AND {_READABLE} AND 'pgmq_public' = ANY(%(api)s)
ORDER BY 1""",
    ),
    Lint(
        "0020",
        "table_bloat",
        "Table bloat",
        "INFO",
        "PERFORMANCE",
        "Most of a table's row versions are dead (from the statistics: dead rows over 1,000 and "
        "over a fifth of all): vacuum it, and look at why autovacuum falls behind.",
        f"""
SELECT {_NAME}, format('%%s dead row versions, %%s live', t.n_dead_tup, t.n_live_tup)
FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_OWN} AND t.n_dead_tup > 1000 AND t.n_dead_tup > 0.2 * (t.n_live_tup + t.n_dead_tup)
ORDER BY 1""",
    ),
    Lint(
        "0021",
        "fkey_to_auth_unique",
        "Foreign key to auth unique constraint",
        "ERROR",
        "SECURITY",
        "A foreign key that references an auth table through a unique constraint other than "
        "its primary key: Auth may change that constraint in an upgrade, and the upgrade fails.",
        f"""
SELECT {_NAME}, format('foreign key %%I references %%s through index %%s', con.conname,
                        con.confrelid::regclass, con.conindid::regclass)
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
JOIN pg_index i ON i.indexrelid = con.conindid
WHERE con.contype = 'f' AND rn.nspname = 'auth' AND n.nspname <> 'auth' AND NOT i.indisprimary
ORDER BY 1, 2""",
    ),
    Lint(
        "0022",
        "extension_versions_outdated",
        "Extension versions outdated",
        "WARN",
        "SECURITY",
        "An extension older than the version the server offers: update it with ALTER "
        "EXTENSION ... UPDATE.",
        """
SELECT quote_ident(e.extname), format('installed %%s, available %%s', e.extversion,
                                      a.default_version)
FROM pg_extension e JOIN pg_available_extensions a ON a.name = e.extname
WHERE a.default_version IS NOT NULL AND e.extversion <> a.default_version
  AND e.extname <> 'plpgsql'
ORDER BY 1""",
    ),
    Lint(
        "0023",
        "sensitive_columns_exposed",
        "Sensitive columns exposed",
        "ERROR",
        "SECURITY",
        "A table readable through the API without row level security has columns whose names "
        "say they hold secrets or personal data (password, token, ssn, iban, card number...).",
        f"""
SELECT {_NAME}, format('RLS is disabled and it has %%s',
                        string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND n.nspname = ANY(%(api)s)
  AND {_READABLE}
  AND replace(lower(a.attname), '-', '_') ~ ('^(.*_)?(password|passwd|pwd|secret|api_?key|'
      'access_?token|refresh_?token|auth_?token|token|private_?key|ssn|social_security|'
      'tax_?id|national_?id|passport(_number)?|driver_?licen[cs]e|iban|account_number|'
      'routing_number|card_?number|credit_?card|cvv|cvc|pin|date_of_birth|dob|'
      'bank_account)(_.*)?$')
GROUP BY n.nspname, c.relname
ORDER BY 1""",
    ),
    Lint(
        "0024",
        "rls_policy_always_true",
        "RLS policy always true",
        "WARN",
        "SECURITY",
        "A permissive INSERT, UPDATE, DELETE or ALL policy whose USING or WITH CHECK is plain "
        "true for the API's roles (anon, authenticated, or PUBLIC): it lets every caller write "
        "any row (a SELECT policy of true, and one for service_role, are left alone).",
        f"""
SELECT {_NAME}, format('policy %%I (%%s) is true for every row', p.polname,
       CASE p.polcmd WHEN 'a' THEN 'insert' WHEN 'w' THEN 'update' WHEN 'd' THEN 'delete'
                     ELSE 'all' END)
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE p.polpermissive AND p.polcmd IN ('a', 'w', 'd', '*') AND {_OWN}
  AND (pg_get_expr(p.polqual, p.polrelid) = 'true'
       OR pg_get_expr(p.polwithcheck, p.polrelid) = 'true')
  AND (0 = ANY(p.polroles) OR EXISTS (SELECT FROM pg_roles r WHERE r.oid = ANY(p.polroles)
                                      AND r.rolname IN ('anon', 'authenticated')))
ORDER BY 1, 2""",
    ),
    Lint(
        "0025",
        "public_bucket_allows_listing",
        "Public bucket allows listing",
        "WARN",
        "SECURITY",
        "A public storage bucket with a SELECT policy on storage.objects: public files are "
        "served by URL without any policy, and the policy only lets clients list every file.",
        """
SELECT quote_ident(b.id), format('public bucket with select policy %%I', p.polname)
FROM storage.buckets b
JOIN pg_policy p ON p.polrelid = 'storage.objects'::regclass AND p.polcmd IN ('r', '*')
WHERE b.public
  AND position(format('bucket_id = %%L', b.id) IN pg_get_expr(p.polqual, p.polrelid)) > 0
ORDER BY 1, 2""",
        needs="storage.buckets",
    ),
    Lint(
        "0028",
        "anon_security_definer_function_executable",
        "Anon can execute a security definer function",
        "WARN",
        "SECURITY",
        "A SECURITY DEFINER function in an exposed schema that anon can call through the API "
        "(trigger functions cannot be called): "
        "it runs with its owner's rights for anyone with the anon key. Revoke EXECUTE from "
        "anon (and PUBLIC), or make it SECURITY INVOKER.",
        _definer_executable_by("anon"),
    ),
    Lint(
        "0029",
        "authenticated_security_definer_function_executable",
        "Signed-in users can execute a security definer function",
        "WARN",
        "SECURITY",
        "A SECURITY DEFINER function in an exposed schema that every signed-in user can call "
        "through the API: check that it checks who calls it, or revoke EXECUTE.",
        _definer_executable_by("authenticated"),
    ),
)  # fmt: skip  (each lint reads as one record)


def run_advisors(
    settings: Settings,
    target: str = "local",
    *,
    only: tuple[str, ...] = (),
) -> AdvisorReport:
    """Every lint (or those named in ``only``) against ``target``, read-only."""
    url = clear(settings, "advisors", target).url
    with connect(url, autocommit=True) as conn:
        return advise(conn, target, settings.api_schemas, only=only)


def advise(
    conn: Conn, target: str, api_schemas: tuple[str, ...], *, only: tuple[str, ...] = ()
) -> AdvisorReport:
    unknown = [name for name in only if name not in {lint.name for lint in LINTS}]
    if unknown:
        raise DbflowError(
            f"unknown lint {', '.join(unknown)}",
            hint="the names are: " + ", ".join(lint.name for lint in LINTS),
        )
    report = AdvisorReport(target)
    with conn.transaction(force_rollback=True):
        conn.execute("SET TRANSACTION READ ONLY")
        roles = {
            row[0]
            for row in conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname IN ('anon', 'authenticated')"
            )
        }
        if roles != {"anon", "authenticated"}:
            raise DbflowError(
                "this database has no anon and authenticated roles: the advisors judge what the "
                "Data API exposes, and there is no Data API here",
                hint="run it against a Supabase database (or the local one, inv db.start)",
            )
        params = {"api": list(api_schemas), "managed": list(MANAGED_SCHEMAS)}
        for lint in LINTS:
            if only and lint.name not in only:
                continue
            if lint.needs and conn.execute("SELECT to_regclass(%s)", (lint.needs,)).fetchone() == (
                None,
            ):
                report.skipped.append(f"{lint.name}: this database has no {lint.needs}")
                continue
            for obj, detail in conn.execute(lint.query, params):
                report.findings.append(
                    Advice(
                        lint.name, lint.code, lint.title, lint.level, lint.category,
                        str(obj), str(detail), lint.remediation,
                    )
                )  # fmt: skip
    return report


def render_advisors(report: AdvisorReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            {
                "target": report.target,
                "errors": report.count("ERROR"),
                "warnings": report.count("WARN"),
                "info": report.count("INFO"),
                "skipped": report.skipped,
                "findings": [
                    {**asdict(finding), "cache_key": finding.cache_key}
                    for finding in report.findings
                ],
            },
            indent=2,
        )
    if fmt == "sarif":
        return _sarif(report)
    lines = []
    for category in ("SECURITY", "PERFORMANCE"):
        found = [f for f in report.findings if f.category == category]
        if not found:
            continue
        lines.append(f"{category.lower()}:")
        for finding in found:
            lines.append(f"  {finding.level:<5} {finding.lint}: {finding.object}: {finding.detail}")
    lines += [f"skipped {line}" for line in report.skipped]
    lines.append(
        f"{report.target}: {report.count('ERROR')} error(s), {report.count('WARN')} warning(s), "
        f"{report.count('INFO')} info"
    )
    return "\n".join(lines)


_SARIF_LEVEL = {"ERROR": "error", "WARN": "warning", "INFO": "note"}


def _sarif(report: AdvisorReport) -> str:
    index = {lint.name: number for number, lint in enumerate(LINTS)}
    return sarif_log(
        "dbflow advisors",
        [
            {
                "id": lint.name,
                "name": lint.title,
                "shortDescription": {"text": lint.title},
                "fullDescription": {"text": lint.description},
                "helpUri": lint.remediation,
                "defaultConfiguration": {"level": _SARIF_LEVEL[lint.level]},
                "properties": {"tags": [lint.category.lower()]},
            }
            for lint in LINTS
        ],
        [
            {
                "ruleId": finding.lint,
                "ruleIndex": index[finding.lint],
                "level": _SARIF_LEVEL[finding.level],
                "message": {"text": f"{finding.object}: {finding.detail}"},
                "locations": [
                    {"logicalLocations": [{"fullyQualifiedName": finding.object, "kind": "object"}]}
                ],
                "partialFingerprints": {"cacheKey": finding.cache_key},
            }
            for finding in report.findings
        ],
    )
