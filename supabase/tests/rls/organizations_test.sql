-- RLS of public.organizations and public.memberships: members read their organization and its
-- members; users create organizations only as themselves; owners and admins update and manage
-- members, plain members do not.
begin;
select plan(9);

-- The fixtures db.seed-test loads (seeds/test/001_test_data.sql): admin (a platform admin,
-- owner of Org A), member (member of Org A) and outsider (owner of Org B). Made here when
-- absent (on staging), inside the test's transaction, which is always rolled back.
insert into auth.users (id, email) values
    ('00000000-0000-4000-8000-000000000001', 'admin@example.com'),
    ('00000000-0000-4000-8000-000000000002', 'member@example.com'),
    ('00000000-0000-4000-8000-000000000003', 'outsider@example.com')
on conflict (id) do nothing;
update public.profiles set is_platform_admin = true
where id = '00000000-0000-4000-8000-000000000001';
insert into public.organizations (id, name, slug, created_by) values
    ('00000000-0000-4000-8000-00000000000a', 'Org A', 'org-a', '00000000-0000-4000-8000-000000000001'),
    ('00000000-0000-4000-8000-00000000000b', 'Org B', 'org-b', '00000000-0000-4000-8000-000000000003')
on conflict (id) do nothing;
insert into public.memberships (organization_id, user_id, role) values
    ('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-000000000002', 'member')
on conflict do nothing;

-- As member (a plain member of Org A).
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-000000000002", "role": "authenticated"}', true);

select is(
    (select count(*)::int from public.organizations where id = '00000000-0000-4000-8000-00000000000a'),
    1, 'allowed: a member reads their organization');
select is(
    (select count(*)::int from public.organizations where id = '00000000-0000-4000-8000-00000000000b'),
    0, 'denied: a member does not see another organization');
select cmp_ok(
    (select count(*)::int from public.memberships where organization_id = '00000000-0000-4000-8000-00000000000a'),
    '>=', 2, 'allowed: a member reads their organization''s members');
select is(
    (select count(*)::int from public.memberships where organization_id = '00000000-0000-4000-8000-00000000000b'),
    0, 'denied: a member does not see another organization''s members');
select lives_ok(
    $$ insert into public.organizations (name, slug, created_by)
       values ('Member Co', 'member-co-rls-test', '00000000-0000-4000-8000-000000000002') $$,
    'allowed: a user creates an organization as themselves');
select throws_ok(
    $$ insert into public.organizations (name, slug, created_by)
       values ('Spoofed', 'spoofed-rls-test', '00000000-0000-4000-8000-000000000003') $$,
    '42501', null, 'denied: a user cannot create an organization in another user''s name');
select throws_ok(
    $$ insert into public.memberships (organization_id, user_id, role)
       values ('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-000000000003', 'member') $$,
    '42501', null, 'denied: a plain member cannot add members');
update public.organizations set name = 'Renamed by member' where id = '00000000-0000-4000-8000-00000000000a';

-- As admin (owner of Org A).
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-000000000001", "role": "authenticated"}', true);
select isnt(
    (select name from public.organizations where id = '00000000-0000-4000-8000-00000000000a'),
    'Renamed by member', 'denied: a plain member''s update changed nothing');
select lives_ok(
    $$ insert into public.memberships (organization_id, user_id, role)
       values ('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-000000000003', 'member') $$,
    'allowed: an owner adds members');

select * from finish();
rollback;
