-- RLS of public.user_career_profiles (users manage their own, admins read all), public.skills
-- (everyone reads, users add as themselves) and the avatars bucket (everyone reads, users write
-- only into the folder named after their id).
begin;
select plan(8);

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

insert into public.user_career_profiles (user_id, headline) values
    ('00000000-0000-4000-8000-000000000002', 'Fixture engineer'),
    ('00000000-0000-4000-8000-000000000003', 'Outsider engineer')
on conflict (user_id) do nothing;
insert into public.skills (name) values ('sql') on conflict (name) do nothing;

-- As member.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-000000000002", "role": "authenticated"}', true);
select is(
    (select count(*)::int from public.user_career_profiles),
    1, 'allowed and denied: a user reads their own career profile only');
select throws_ok(
    $$ insert into public.skills (name, created_by) values ('spoofed-skill-rls', '00000000-0000-4000-8000-000000000003') $$,
    '42501', null, 'denied: a user cannot add a skill in another user''s name');
select lives_ok(
    $$ insert into public.skills (name, created_by) values ('member-skill-rls', '00000000-0000-4000-8000-000000000002') $$,
    'allowed: a user adds a skill as themselves');
select lives_ok(
    $$ insert into storage.objects (bucket_id, name) values ('avatars', '00000000-0000-4000-8000-000000000002/me.png') $$,
    'allowed: a user uploads into their own avatar folder');
select throws_ok(
    $$ insert into storage.objects (bucket_id, name) values ('avatars', '00000000-0000-4000-8000-000000000003/me.png') $$,
    '42501', null, 'denied: a user cannot upload into another user''s folder');

-- As the platform admin.
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-000000000001", "role": "authenticated"}', true);
select cmp_ok(
    (select count(*)::int from public.user_career_profiles), '>=', 2,
    'allowed: a platform admin reads every career profile');

-- Anonymous.
reset role;
set local role anon;
select cmp_ok((select count(*)::int from public.skills), '>=', 1, 'allowed: anon reads skills');
select is(
    (select count(*)::int from public.user_career_profiles), 0,
    'denied: anon reads no career profile');

select * from finish();
rollback;
