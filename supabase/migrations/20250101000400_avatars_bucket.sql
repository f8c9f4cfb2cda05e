-- Migration: avatars storage bucket
-- Purpose: each user uploads into a folder named after their id; everyone can read avatars.
-- Pattern: storage folders ((storage.foldername(name))[1] = auth.uid()::text).

insert into storage.buckets (id, name, public)
values ('avatars', 'avatars', true)
on conflict (id) do nothing;

create policy "avatars: everyone reads"
    on storage.objects for select
    to anon, authenticated
    using (bucket_id = 'avatars');

create policy "avatars: users upload into their own folder"
    on storage.objects for insert
    to authenticated
    with check (
        bucket_id = 'avatars'
        and (storage.foldername(name))[1] = (select auth.uid())::text
    );

create policy "avatars: users update their own files"
    on storage.objects for update
    to authenticated
    using (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text)
    with check (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy "avatars: users delete their own files"
    on storage.objects for delete
    to authenticated
    using (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text);
