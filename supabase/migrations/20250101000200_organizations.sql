-- Migration: organizations and memberships
-- Purpose: multi-tenancy. A user sees an organization only through a membership.
-- Patterns: organization members (is_org_member()), admin override.

create type public.membership_role as enum ('owner', 'admin', 'member');

create table if not exists public.organizations (
    id uuid primary key default gen_random_uuid(),
    name text not null check (char_length(name) between 1 and 120),
    slug text not null unique check (slug ~ '^[a-z0-9-]+$'),
    created_by uuid not null references public.profiles (id) on delete restrict,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.organizations is 'A tenant: a company or team using the product.';

create index if not exists organizations_created_by_idx on public.organizations (created_by);

create table if not exists public.memberships (
    organization_id uuid not null references public.organizations (id) on delete cascade,
    user_id uuid not null references public.profiles (id) on delete cascade,
    role public.membership_role not null default 'member',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (organization_id, user_id)
);

comment on table public.memberships is 'Which users belong to which organization, and their role.';

create index if not exists memberships_user_id_idx on public.memberships (user_id);

alter table public.organizations enable row level security;
alter table public.memberships enable row level security;

create trigger organizations_set_updated_at
    before update on public.organizations
    for each row execute function public.set_updated_at();

create trigger memberships_set_updated_at
    before update on public.memberships
    for each row execute function public.set_updated_at();

-- Security definer helpers: policies on memberships must not query memberships under RLS.
create or replace function public.is_org_member(org_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (
        select 1 from public.memberships as m
        where m.organization_id = org_id and m.user_id = (select auth.uid())
    );
$$;

create or replace function public.has_org_role(org_id uuid, roles public.membership_role[])
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (
        select 1 from public.memberships as m
        where m.organization_id = org_id
          and m.user_id = (select auth.uid())
          and m.role = any (roles)
    );
$$;

comment on function public.is_org_member(uuid) is 'True when the current user belongs to org_id.';
comment on function public.has_org_role(uuid, public.membership_role[]) is
    'True when the current user has one of roles in org_id.';

create policy "organizations: members read"
    on public.organizations for select
    to authenticated
    using ((select public.is_org_member(id)) or (select public.is_platform_admin()));

create policy "organizations: authenticated users create their own"
    on public.organizations for insert
    to authenticated
    with check ((select auth.uid()) = created_by);

create policy "organizations: owners and admins update"
    on public.organizations for update
    to authenticated
    using ((select public.has_org_role(id, array['owner', 'admin']::public.membership_role[])))
    with check ((select public.has_org_role(id, array['owner', 'admin']::public.membership_role[])));

create policy "memberships: members read their organization's members"
    on public.memberships for select
    to authenticated
    using ((select public.is_org_member(organization_id)) or (select public.is_platform_admin()));

create policy "memberships: owners and admins manage members"
    on public.memberships for all
    to authenticated
    using ((select public.has_org_role(organization_id, array['owner', 'admin']::public.membership_role[])))
    with check ((select public.has_org_role(organization_id, array['owner', 'admin']::public.membership_role[])));

-- The creator of an organization becomes its owner.
create or replace function public.handle_new_organization()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    insert into public.memberships (organization_id, user_id, role)
    values (new.id, new.created_by, 'owner');
    return new;
end;
$$;

create trigger on_organization_created
    after insert on public.organizations
    for each row execute function public.handle_new_organization();

alter publication supabase_realtime add table public.memberships;
