-- Hand-written development data, run by `inv db.seed-dev` (and `inv db.reset`) right after
-- the generated auth users exist; the generator then fills everything around it.
-- admin@example.com / member@example.com / outsider@example.com sign in with the password
-- in dbflow.seed.fixtures.PASSWORD.

update public.profiles set is_platform_admin = true
where id = '00000000-0000-4000-8000-000000000001';

insert into public.organizations (id, name, slug, created_by) values
    ('00000000-0000-4000-8000-00000000000a', 'Acme Robotics', 'acme-robotics', '00000000-0000-4000-8000-000000000001')
on conflict (id) do nothing;

insert into public.memberships (organization_id, user_id, role) values
    ('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-000000000002', 'member')
on conflict do nothing;
