-- Migration: profiles
-- Purpose: one profile per auth user, created by a trigger on sign-up.
-- Patterns: own rows ((select auth.uid()) = id) and admin override (is_platform_admin()).

create table if not exists public.profiles (
    id uuid primary key references auth.users (id) on delete cascade,
    email text,
    full_name text,
    avatar_url text,
    is_platform_admin boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.profiles is 'Public profile of each auth user; created on sign-up.';

alter table public.profiles enable row level security;

create trigger profiles_set_updated_at
    before update on public.profiles
    for each row execute function public.set_updated_at();

-- Admin override: a security definer helper so the policy does not recurse into profiles.
create or replace function public.is_platform_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select coalesce(
        (select p.is_platform_admin from public.profiles as p where p.id = (select auth.uid())),
        false
    );
$$;

comment on function public.is_platform_admin() is 'True when the current user is a platform admin.';

create policy "profiles: users read their own profile"
    on public.profiles for select
    to authenticated
    using ((select auth.uid()) = id);

create policy "profiles: users update their own profile"
    on public.profiles for update
    to authenticated
    using ((select auth.uid()) = id)
    with check ((select auth.uid()) = id and is_platform_admin = false);

create policy "profiles: admins read every profile"
    on public.profiles for select
    to authenticated
    using ((select public.is_platform_admin()));

-- Sign-up: every new auth user gets a profile.
create or replace function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    insert into public.profiles (id, email, full_name, avatar_url)
    values (
        new.id,
        new.email,
        new.raw_user_meta_data ->> 'full_name',
        new.raw_user_meta_data ->> 'avatar_url'
    );
    return new;
end;
$$;

comment on function public.handle_new_user() is 'Trigger on auth.users: creates the profile.';

create trigger on_auth_user_created
    after insert on auth.users
    for each row execute function public.handle_new_user();
