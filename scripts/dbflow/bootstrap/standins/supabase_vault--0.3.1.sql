-- dbflow stand-in for supabase_vault. Same tables, view and functions as the platform's
-- Vault, but the secret column holds base64 text, not ciphertext: local development only.
create table vault.secrets (
    id uuid primary key default gen_random_uuid(),
    name text,
    description text not null default '',
    secret text not null,
    key_id uuid,
    nonce bytea,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp
);
create unique index secrets_name_idx on vault.secrets (name) where name is not null;

create view vault.decrypted_secrets as
select
    s.id,
    s.name,
    s.description,
    s.secret,
    convert_from(decode(s.secret, 'base64'), 'UTF8') as decrypted_secret,
    s.key_id,
    s.nonce,
    s.created_at,
    s.updated_at
from vault.secrets as s;

create function vault.create_secret(
    new_secret text,
    new_name text default null,
    new_description text default '',
    new_key_id uuid default null
) returns uuid
language sql volatile
security definer
set search_path = ''
as $$
    insert into vault.secrets (secret, name, description, key_id)
    values (encode(convert_to(new_secret, 'UTF8'), 'base64'), new_name, new_description, new_key_id)
    returning id
$$;

create function vault.update_secret(
    secret_id uuid,
    new_secret text default null,
    new_name text default null,
    new_description text default null,
    new_key_id uuid default null
) returns void
language sql volatile
security definer
set search_path = ''
as $$
    update vault.secrets set
        secret = coalesce(encode(convert_to(new_secret, 'UTF8'), 'base64'), secret),
        name = coalesce(new_name, name),
        description = coalesce(new_description, description),
        key_id = coalesce(new_key_id, key_id),
        updated_at = current_timestamp
    where id = secret_id
$$;

revoke all on vault.secrets, vault.decrypted_secrets from public;
revoke all on function vault.create_secret(text, text, text, uuid) from public;
revoke all on function vault.update_secret(uuid, text, text, text, uuid) from public;
grant usage on schema vault to postgres, service_role;
grant select, delete on vault.secrets, vault.decrypted_secrets to postgres, service_role;
grant execute on function vault.create_secret(text, text, text, uuid) to postgres, service_role;
grant execute on function vault.update_secret(uuid, text, text, text, uuid)
    to postgres, service_role;
