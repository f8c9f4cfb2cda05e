"""Supabase compatibility for a plain PostgreSQL: roles, schemas, auth, storage, stand-ins."""
