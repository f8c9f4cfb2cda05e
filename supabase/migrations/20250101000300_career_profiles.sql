-- Migration: career profiles and the skills catalogue
-- Purpose: what a user does and wants (skills, work mode, locations, salary range).
-- Patterns: own rows, admin override (career profiles); public read / authenticated write
-- (skills).

create table if not exists public.skills (
    id bigint generated always as identity primary key,
    name text not null unique check (char_length(name) between 1 and 60),
    created_by uuid references public.profiles (id) on delete set null,
    created_at timestamptz not null default now()
);

comment on table public.skills is 'Catalogue of skill names; anyone reads, signed-in users add.';

create index if not exists skills_created_by_idx on public.skills (created_by);

alter table public.skills enable row level security;

create policy "skills: everyone reads"
    on public.skills for select
    to anon, authenticated
    using (true);

create policy "skills: authenticated users add"
    on public.skills for insert
    to authenticated
    with check ((select auth.uid()) = created_by);

create table if not exists public.user_career_profiles (
    user_id uuid primary key references public.profiles (id) on delete cascade,
    headline text check (char_length(headline) <= 160),
    bio text,
    skills text[] not null default '{}',
    work_mode text not null default 'remote' check (work_mode in ('remote', 'hybrid', 'onsite')),
    preferred_locations jsonb not null default '[]'::jsonb
        check (jsonb_typeof(preferred_locations) = 'array'),
    salary_min integer check (salary_min >= 0),
    salary_max integer check (salary_max >= 0),
    salary_currency text not null default 'USD' check (salary_currency ~ '^[A-Z]{3}$'),
    years_experience smallint check (years_experience between 0 and 60),
    open_to_work boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint salary_range_is_ordered check (salary_min <= salary_max)
);

comment on table public.user_career_profiles is 'Career profile of a user: skills, work mode, salary.';

create index if not exists user_career_profiles_skills_idx
    on public.user_career_profiles using gin (skills);

alter table public.user_career_profiles enable row level security;

create trigger user_career_profiles_set_updated_at
    before update on public.user_career_profiles
    for each row execute function public.set_updated_at();

create policy "career profiles: users manage their own"
    on public.user_career_profiles for all
    to authenticated
    using ((select auth.uid()) = user_id)
    with check ((select auth.uid()) = user_id);

create policy "career profiles: admins read all"
    on public.user_career_profiles for select
    to authenticated
    using ((select public.is_platform_admin()));
