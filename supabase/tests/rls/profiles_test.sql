-- RLS of public.profiles: each user reads and updates only their own profile, cannot make
-- themselves a platform admin; a platform admin reads every profile.
begin;
select plan(7);

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

-- As member.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-000000000002", "role": "authenticated"}', true);

select is(
    (select count(*)::int from public.profiles where id = '00000000-0000-4000-8000-000000000002'),
    1, 'allowed: a user reads their own profile');
select is(
    (select count(*)::int from public.profiles where id = '00000000-0000-4000-8000-000000000003'),
    0, 'denied: a user does not see another user''s profile');
select lives_ok(
    $$ update public.profiles set full_name = 'Morgan M.' where id = '00000000-0000-4000-8000-000000000002' $$,
    'allowed: a user updates their own profile');
select throws_ok(
    $$ update public.profiles set is_platform_admin = true where id = '00000000-0000-4000-8000-000000000002' $$,
    '42501', null, 'denied: a user cannot make themselves a platform admin');
update public.profiles set full_name = 'Hijacked' where id = '00000000-0000-4000-8000-000000000003';
reset role;
select isnt(
    (select full_name from public.profiles where id = '00000000-0000-4000-8000-000000000003'),
    'Hijacked', 'denied: an update of another user''s profile changes nothing');

-- As the platform admin.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-000000000001", "role": "authenticated"}', true);
select cmp_ok(
    (select count(*)::int from public.profiles), '>=', 3,
    'allowed: a platform admin reads every profile');

-- Anonymous.
reset role;
set local role anon;
select is((select count(*)::int from public.profiles), 0, 'denied: anon reads no profile');

select * from finish();
rollback;
