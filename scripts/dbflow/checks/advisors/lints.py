"""The platform's Security and Performance Advisor lints, as data: each lint's number, name,
title and level are the platform's (a finding reads as it does in the dashboard), and its
query was written here from what the lint means. A query returns rows of (object, detail).
"Exposed" means a schema the Data API serves: ``public`` and ``supabase/config.toml``'s
``[api] schemas``; platform schemas (auth, storage, extensions...) are left out of the lints
about the user's own objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


LINTS: tuple[Lint, ...] = (
    Lint(
        code="0001",
        name="unindexed_foreign_keys",
        title="Unindexed foreign keys",
        level="INFO",
        category="PERFORMANCE",
        description="A foreign key with no index starting with its columns: deletes and joins on "
        "the parent scan the whole child table.",
        query=f"""
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
        code="0002",
        name="auth_users_exposed",
        title="Exposed auth users",
        level="ERROR",
        category="SECURITY",
        description="A view or materialized view in an exposed schema reads auth.users and the "
        "API's roles can read it: emails and metadata of every user are one request away.",
        query=f"""
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
        code="0003",
        name="auth_rls_initplan",
        title="Auth RLS initialization plan",
        level="WARN",
        category="PERFORMANCE",
        description="A policy calls auth.uid(), auth.jwt(), auth.role(), auth.email() or "
        "current_setting() for every row; wrapped as (select auth.uid()) it is computed once per "
        "query.",
        query=f"""
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
        code="0004",
        name="no_primary_key",
        title="No primary key",
        level="INFO",
        category="PERFORMANCE",
        description="A table without a primary key: rows cannot be told apart reliably, and "
        "logical replication cannot update or delete them.",
        query=f"""
SELECT {_NAME}, 'table has no primary key'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {_OWN} AND {_NOT_EXTENSION}
  AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
ORDER BY 1""",
    ),
    Lint(
        code="0005",
        name="unused_index",
        title="Unused index",
        level="INFO",
        category="PERFORMANCE",
        description="An index never used to read, on a table that has been read: it slows every "
        "write and takes space for nothing. Only where the statistics have seen the table used.",
        query=f"""
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
        code="0006",
        name="multiple_permissive_policies",
        title="Multiple permissive policies",
        level="WARN",
        category="PERFORMANCE",
        description="More than one permissive policy for the same role and action: every one of "
        "them runs for every row; merge them into one.",
        query=f"""
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
        code="0007",
        name="policy_exists_rls_disabled",
        title="Policy exists, RLS disabled",
        level="ERROR",
        category="SECURITY",
        description="A table has policies but row level security is off: the policies do nothing.",
        query=f"""
SELECT {_NAME}, format('policies %%s exist but RLS is not enabled',
                        string_agg(quote_ident(p.polname), ', ' ORDER BY p.polname))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_policy p ON p.polrelid = c.oid
WHERE NOT c.relrowsecurity AND {_OWN}
GROUP BY n.nspname, c.relname
ORDER BY 1""",
    ),
    Lint(
        code="0008",
        name="rls_enabled_no_policy",
        title="RLS enabled, no policy",
        level="INFO",
        category="SECURITY",
        description="Row level security is on and no policy exists: the API's roles see no row; "
        "add the policies the table needs (or say in a comment that it is closed on purpose).",
        query=f"""
SELECT {_NAME}, 'RLS is enabled and the table has no policy'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity AND {_OWN}
  AND NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid)
ORDER BY 1""",
    ),
    Lint(
        code="0009",
        name="duplicate_index",
        title="Duplicate index",
        level="WARN",
        category="PERFORMANCE",
        description="Two or more indexes with the same columns, expressions, predicate and "
        "operator classes: keep one.",
        query=f"""
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
        code="0010",
        name="security_definer_view",
        title="Security definer view",
        level="ERROR",
        category="SECURITY",
        description="A view in an exposed schema runs with its owner's rights (no "
        "security_invoker=on), so it reads past the row level security of the tables under it.",
        query=f"""
SELECT {_NAME}, 'view without security_invoker=on, readable by anon or authenticated'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'v' AND n.nspname = ANY(%(api)s) AND {_READABLE} AND {_NOT_EXTENSION}
  AND NOT coalesce(c.reloptions && ARRAY['security_invoker=on', 'security_invoker=true',
                                         'security_invoker=1'], false)
ORDER BY 1""",
    ),
    Lint(
        code="0011",
        name="function_search_path_mutable",
        title="Function search path mutable",
        level="WARN",
        category="SECURITY",
        description="A function without its own search_path runs with the caller's: a caller can "
        "make it resolve names to objects of their choosing. Add SET search_path = ''.",
        query=f"""
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
        code="0013",
        name="rls_disabled_in_public",
        title="RLS disabled in public",
        level="ERROR",
        category="SECURITY",
        description="A table in an exposed schema that the API's roles can read, with row level "
        "security off: anyone with the anon key reads (and may write) every row.",
        query=f"""
SELECT {_NAME}, 'RLS is disabled and anon or authenticated can select from it'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND n.nspname = ANY(%(api)s)
  AND {_READABLE} AND {_NOT_EXTENSION}
ORDER BY 1""",
    ),
    Lint(
        code="0014",
        name="extension_in_public",
        title="Extension in public",
        level="WARN",
        category="SECURITY",
        description="An extension installed into public: its functions are exposed through the "
        "API and clutter the schema. Create it in the extensions schema.",
        query="""
SELECT quote_ident(e.extname), format('extension %%s %%s is installed in public', e.extname,
                                      e.extversion)
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE n.nspname = 'public'
ORDER BY 1""",
    ),
    Lint(
        code="0015",
        name="rls_references_user_metadata",
        title="RLS references user metadata",
        level="ERROR",
        category="SECURITY",
        description="A policy trusts user_metadata from the JWT, which every user can change "
        "about themselves; use app_metadata or a table.",
        query=f"""
SELECT {_NAME}, format('policy %%I reads user_metadata', p.polname)
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE concat_ws(' ', pg_get_expr(p.polqual, p.polrelid),
                pg_get_expr(p.polwithcheck, p.polrelid)) ~* 'user_metadata'
ORDER BY 1, 2""",
    ),
    Lint(
        code="0016",
        name="materialized_view_in_api",
        title="Materialized view in API",
        level="WARN",
        category="SECURITY",
        description="A materialized view the API's roles can read: it has no row level security, "
        "every row is readable.",
        query=f"""
SELECT {_NAME}, 'materialized view readable by anon or authenticated'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'm' AND n.nspname = ANY(%(api)s) AND {_READABLE} AND {_NOT_EXTENSION}
ORDER BY 1""",
    ),
    Lint(
        code="0017",
        name="foreign_table_in_api",
        title="Foreign table in API",
        level="WARN",
        category="SECURITY",
        description="A foreign table the API's roles can read: foreign tables have no row level "
        "security.",
        query=f"""
SELECT {_NAME}, 'foreign table readable by anon or authenticated'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'f' AND n.nspname = ANY(%(api)s) AND {_READABLE} AND {_NOT_EXTENSION}
ORDER BY 1""",
    ),
    Lint(
        code="0018",
        name="unsupported_reg_types",
        title="Unsupported reg types",
        level="WARN",
        category="SECURITY",
        description="A column of a reg* type that pg_upgrade cannot carry (it stores OIDs): it "
        "blocks the project's next major version upgrade.",
        query=f"""
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
        code="0019",
        name="insecure_queue_exposed_in_api",
        title="Insecure queue exposed in API",
        level="ERROR",
        category="SECURITY",
        description="A pgmq queue table without row level security while the queue API "
        "(pgmq_public) is exposed: anyone with the anon key reads the queue's messages.",
        query=f"""
SELECT {_NAME}, 'queue table without RLS, readable by anon or authenticated'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'pgmq' AND c.relname LIKE 'q\\_%%' AND c.relkind IN ('r', 'p')
  AND NOT c.relrowsecurity AND {_READABLE} AND 'pgmq_public' = ANY(%(api)s)
ORDER BY 1""",
    ),
    Lint(
        code="0020",
        name="table_bloat",
        title="Table bloat",
        level="INFO",
        category="PERFORMANCE",
        description="Most of a table's row versions are dead (from the statistics: dead rows over "
        "1,000 and over a fifth of all): vacuum it, and look at why autovacuum falls behind.",
        query=f"""
SELECT {_NAME}, format('%%s dead row versions, %%s live', t.n_dead_tup, t.n_live_tup)
FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_OWN} AND t.n_dead_tup > 1000 AND t.n_dead_tup > 0.2 * (t.n_live_tup + t.n_dead_tup)
ORDER BY 1""",
    ),
    Lint(
        code="0021",
        name="fkey_to_auth_unique",
        title="Foreign key to auth unique constraint",
        level="ERROR",
        category="SECURITY",
        description="A foreign key that references an auth table through a unique constraint "
        "other than its primary key: Auth may change that constraint in an upgrade, and the "
        "upgrade fails.",
        query=f"""
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
        code="0022",
        name="extension_versions_outdated",
        title="Extension versions outdated",
        level="WARN",
        category="SECURITY",
        description="An extension older than the version the server offers: update it with ALTER "
        "EXTENSION ... UPDATE.",
        query="""
SELECT quote_ident(e.extname), format('installed %%s, available %%s', e.extversion,
                                      a.default_version)
FROM pg_extension e JOIN pg_available_extensions a ON a.name = e.extname
WHERE a.default_version IS NOT NULL AND e.extversion <> a.default_version
  AND e.extname <> 'plpgsql'
ORDER BY 1""",
    ),
    Lint(
        code="0023",
        name="sensitive_columns_exposed",
        title="Sensitive columns exposed",
        level="ERROR",
        category="SECURITY",
        description="A table readable through the API without row level security has columns "
        "whose names say they hold secrets or personal data (password, token, ssn, iban, card "
        "number...).",
        query=f"""
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
        code="0024",
        name="rls_policy_always_true",
        title="RLS policy always true",
        level="WARN",
        category="SECURITY",
        description="A permissive INSERT, UPDATE, DELETE or ALL policy whose USING or WITH CHECK "
        "is plain true for the API's roles (anon, authenticated, or PUBLIC): it lets every caller "
        "write any row (a SELECT policy of true, and one for service_role, are left alone).",
        query=f"""
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
        code="0025",
        name="public_bucket_allows_listing",
        title="Public bucket allows listing",
        level="WARN",
        category="SECURITY",
        description="A public storage bucket with a SELECT policy on storage.objects: public "
        "files are served by URL without any policy, and the policy only lets clients list every "
        "file.",
        query="""
SELECT quote_ident(b.id), format('public bucket with select policy %%I', p.polname)
FROM storage.buckets b
JOIN pg_policy p ON p.polrelid = 'storage.objects'::regclass AND p.polcmd IN ('r', '*')
WHERE b.public
  AND position(format('bucket_id = %%L', b.id) IN pg_get_expr(p.polqual, p.polrelid)) > 0
ORDER BY 1, 2""",
        needs="storage.buckets",
    ),
    Lint(
        code="0028",
        name="anon_security_definer_function_executable",
        title="Anon can execute a security definer function",
        level="WARN",
        category="SECURITY",
        description="A SECURITY DEFINER function in an exposed schema that anon can call through "
        "the API (trigger functions cannot be called): it runs with its owner's rights for anyone "
        "with the anon key. Revoke EXECUTE from anon (and PUBLIC), or make it SECURITY INVOKER.",
        query=_definer_executable_by("anon"),
    ),
    Lint(
        code="0029",
        name="authenticated_security_definer_function_executable",
        title="Signed-in users can execute a security definer function",
        level="WARN",
        category="SECURITY",
        description="A SECURITY DEFINER function in an exposed schema that every signed-in user "
        "can call through the API: check that it checks who calls it, or revoke EXECUTE.",
        query=_definer_executable_by("authenticated"),
    ),
)
