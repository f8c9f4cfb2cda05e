"""db.types: the generated TypeScript compiles with tsc and types a supabase-js client."""

from __future__ import annotations

from pathlib import Path

from dbflow.connection import connect
from dbflow.schema.typegen import generate_types
from tests.conftest import tsc

USAGE = """
import { createClient } from "@supabase/supabase-js"
import type { Database, Enums, Tables, TablesInsert } from "./database"

const supabase = createClient<Database>("http://127.0.0.1:54321", "anon-key")

export async function main(): Promise<void> {
  const { data } = await supabase.from("profiles").select("id, email").eq("id", "x")
  const email: string | null | undefined = data?.[0]?.email
  const org: TablesInsert<"organizations"> = { name: "n", slug: "s", created_by: "u" }
  await supabase.from("organizations").insert(org)
  const role: Enums<"membership_role"> = "owner"
  const { data: member } = await supabase.rpc("is_org_member", { org_id: "x" })
  const flag: boolean | null = member
  console.log(email, role, flag)
}

export function skillsOf(career: Tables<"user_career_profiles">): string[] {
  return career.skills
}
"""
WRONG = """
import { createClient } from "@supabase/supabase-js"
import type { Database } from "./database"

const supabase = createClient<Database>("http://127.0.0.1:54321", "anon-key")
export async function main(): Promise<void> {
  await supabase.from("organizations").insert({ nope: 1 })
}
"""


def test_generated_types_compile_and_type_a_client(db_url: str, typescript: Path) -> None:
    with connect(db_url, autocommit=True) as conn:
        text = generate_types(conn, ["public"])
    assert "export type Database = {" in text
    assert 'membership_role: "owner" | "admin" | "member"' in text
    assert "id?: never" in text  # skills.id is an identity ALWAYS column
    (typescript / "database.ts").write_text(text)
    good = tsc(typescript, USAGE)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = tsc(typescript, WRONG)
    assert bad.returncode != 0 and "nope" in bad.stdout


def test_specific_types_are_kept_on_request(bare_db_url: str) -> None:
    with connect(bare_db_url, autocommit=True) as conn:
        conn.execute("create table public.hosts (id int primary key, ip inet not null, cost money)")
        default = generate_types(conn, ["public"])
        specific = generate_types(conn, ["public"], specific=True)
    assert "ip: unknown" in default and "cost: unknown" in default  # as postgres-meta
    assert "ip: string" in specific and "cost: number | null" in specific
