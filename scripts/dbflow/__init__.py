"""dbflow: a safe database-migration workflow for Supabase/PostgreSQL teams."""

__version__ = "0.1.0"
