-- Migration: updated_at trigger function
-- Purpose: one trigger function every table with an updated_at column uses.

create or replace function public.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    new.updated_at = now();
    return new;
end;
$$;

comment on function public.set_updated_at() is 'Trigger: keeps updated_at current on every update.';
