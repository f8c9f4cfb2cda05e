-- Hand-written test fixtures, run by `inv db.seed-test` right after the fixture auth users
-- (admin, member, outsider) exist and before the generator fills the remaining tables.
-- The ids match dbflow.seed.fixtures (ADMIN, MEMBER, OUTSIDER, ORG_A, ORG_B).

update public.profiles set is_platform_admin = true
where id = '00000000-0000-4000-8000-000000000001';

insert into public.organizations (id, name, slug, created_by) values
    ('00000000-0000-4000-8000-00000000000a', 'Org A', 'org-a', '00000000-0000-4000-8000-000000000001'),
    ('00000000-0000-4000-8000-00000000000b', 'Org B', 'org-b', '00000000-0000-4000-8000-000000000003');

-- admin owns Org A (made by the trigger), member belongs to it; outsider owns Org B only.
insert into public.memberships (organization_id, user_id, role) values
    ('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-000000000002', 'member');

insert into public.user_career_profiles (user_id, headline, skills, work_mode, salary_min, salary_max)
values ('00000000-0000-4000-8000-000000000002', 'Fixture engineer', '{python,sql}', 'remote', 50000, 90000);
