"""db.types: the generated TypeScript compiles with tsc and types a supabase-js client."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dbflow.connection import connect
from dbflow.typegen import generate_types

NPM = shutil.which("npm")
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


@pytest.fixture(scope="session")
def typescript(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with typescript and @supabase/supabase-js installed from npm."""
    if NPM is None:
        pytest.skip("npm is not installed")
    folder = tmp_path_factory.mktemp("typescript")
    (folder / "package.json").write_text(
        json.dumps({"name": "dbflow-types-check", "private": True})
    )
    subprocess.run(
        [
            NPM,
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "typescript@5",
            "@supabase/supabase-js@2",
        ],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return folder


def _tsc(folder: Path, source: str) -> subprocess.CompletedProcess[str]:
    (folder / "use.ts").write_text(source)
    return subprocess.run(
        [
            str(folder / "node_modules" / ".bin" / "tsc"),
            "--noEmit",
            "--strict",
            "--skipLibCheck",
            "--target",
            "es2020",
            "--module",
            "commonjs",
            "--moduleResolution",
            "node",
            "use.ts",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def test_generated_types_compile_and_type_a_client(db_url: str, typescript: Path) -> None:
    with connect(db_url, autocommit=True) as conn:
        text = generate_types(conn, ["public"])
    assert "export type Database = {" in text
    assert 'membership_role: "owner" | "admin" | "member"' in text
    assert "id?: never" in text  # skills.id is an identity ALWAYS column
    (typescript / "database.ts").write_text(text)
    good = _tsc(typescript, USAGE)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = _tsc(typescript, WRONG)
    assert bad.returncode != 0 and "nope" in bad.stdout
