-- dbflow stand-in for pg_hashids: id_encode / id_decode with the hashids algorithm (the one of
-- hashids.org, as its reference implementations define it), written in PL/pgSQL.

create function _hashids_reorder(string text, salt text) returns text
language plpgsql immutable strict
set search_path = @extschema@, pg_catalog as $$
declare
    chars text[] := regexp_split_to_array(string, '');
    len_salt integer := length(salt);
    idx integer := 0;
    total integer := 0;
    code integer;
    j integer;
    swap text;
begin
    if len_salt = 0 or string = '' then
        return string;
    end if;
    for i in reverse array_length(chars, 1) - 1 .. 1 loop
        code := ascii(substr(salt, idx + 1, 1));
        total := total + code;
        j := (code + idx + total) % i;
        swap := chars[i + 1];
        chars[i + 1] := chars[j + 1];
        chars[j + 1] := swap;
        idx := (idx + 1) % len_salt;
    end loop;
    return array_to_string(chars, '');
end;
$$;

-- The alphabet, separators and guards that a salt and an alphabet give.
create function _hashids_setup(
    salt text, alphabet text, out letters text, out separators text, out guards text
)
language plpgsql immutable
set search_path = @extschema@, pg_catalog as $$
declare
    unique_letters text := '';
    ch text;
    wanted integer;
    guard_count integer;
begin
    separators := '';
    foreach ch in array regexp_split_to_array('cfhistuCFHISTU', '') loop
        if strpos(alphabet, ch) > 0 then
            separators := separators || ch;
        end if;
    end loop;
    foreach ch in array regexp_split_to_array(alphabet, '') loop
        if strpos(unique_letters, ch) = 0 and strpos(separators, ch) = 0 then
            unique_letters := unique_letters || ch;
        end if;
    end loop;
    letters := unique_letters;
    if length(letters) + length(separators) < 16 then
        raise exception 'alphabet must contain at least 16 unique characters';
    end if;
    separators := _hashids_reorder(separators, salt);
    wanted := ceil(length(letters) / 3.5) - length(separators);
    if wanted > 0 then
        separators := separators || left(letters, wanted);
        letters := substr(letters, wanted + 1);
    end if;
    letters := _hashids_reorder(letters, salt);
    guard_count := ceil(length(letters) / 12.0);
    if length(letters) < 3 then
        guards := left(separators, guard_count);
        separators := substr(separators, guard_count + 1);
    else
        guards := left(letters, guard_count);
        letters := substr(letters, guard_count + 1);
    end if;
end;
$$;

create function _hashids_hash(number bigint, alphabet text) returns text
language plpgsql immutable strict
set search_path = @extschema@, pg_catalog as $$
declare
    hashed text := '';
    size integer := length(alphabet);
begin
    loop
        hashed := substr(alphabet, (number % size)::integer + 1, 1) || hashed;
        number := number / size;
        exit when number = 0;
    end loop;
    return hashed;
end;
$$;

create function id_encode(numbers bigint[], salt text, min_length integer, alphabet text)
returns text
language plpgsql immutable strict
set search_path = @extschema@, pg_catalog as $$
declare
    setup record;
    letters text;
    values_hash bigint := 0;
    encoded text;
    lottery text;
    last text;
    number bigint;
    split_at integer;
    excess integer;
    guard_index integer;
begin
    if cardinality(numbers) = 0 or exists (select 1 from unnest(numbers) n where n < 0) then
        return '';
    end if;
    setup := _hashids_setup(salt, alphabet);
    letters := setup.letters;
    for i in 1 .. cardinality(numbers) loop
        values_hash := values_hash + numbers[i] % (i - 1 + 100);
    end loop;
    lottery := substr(letters, (values_hash % length(letters))::integer + 1, 1);
    encoded := lottery;
    for i in 1 .. cardinality(numbers) loop
        letters := _hashids_reorder(letters, left(lottery || salt || letters, length(letters)));
        last := _hashids_hash(numbers[i], letters);
        encoded := encoded || last;
        if i < cardinality(numbers) then
            number := numbers[i] % (ascii(last) + i - 1);
            encoded := encoded
                || substr(setup.separators, (number % length(setup.separators))::integer + 1, 1);
        end if;
    end loop;
    if length(encoded) < min_length then
        guard_index := (values_hash + ascii(encoded)) % length(setup.guards);
        encoded := substr(setup.guards, guard_index + 1, 1) || encoded;
        if length(encoded) < min_length then
            guard_index := (values_hash + ascii(substr(encoded, 3, 1))) % length(setup.guards);
            encoded := encoded || substr(setup.guards, guard_index + 1, 1);
        end if;
        split_at := length(letters) / 2;
        while length(encoded) < min_length loop
            letters := _hashids_reorder(letters, letters);
            encoded := substr(letters, split_at + 1) || encoded || left(letters, split_at);
            excess := length(encoded) - min_length;
            if excess > 0 then
                encoded := substr(encoded, excess / 2 + 1, min_length);
            end if;
        end loop;
    end if;
    return encoded;
end;
$$;

create function id_decode(hashid text, salt text, min_length integer, alphabet text)
returns bigint[]
language plpgsql immutable strict
set search_path = @extschema@, pg_catalog as $$
declare
    setup record;
    letters text;
    parts text[];
    core text;
    lottery text;
    piece text;
    number bigint;
    result bigint[] := '{}';
begin
    setup := _hashids_setup(salt, alphabet);
    letters := setup.letters;
    parts := regexp_split_to_array(hashid, '[' || _hashids_class(setup.guards) || ']');
    core := case when cardinality(parts) between 2 and 3 then parts[2] else parts[1] end;
    if core = '' then
        return result;
    end if;
    lottery := left(core, 1);
    foreach piece in array regexp_split_to_array(substr(core, 2),
                                                 '[' || _hashids_class(setup.separators) || ']') loop
        letters := _hashids_reorder(letters, left(lottery || salt || letters, length(letters)));
        number := 0;
        for k in 1 .. length(piece) loop
            if strpos(letters, substr(piece, k, 1)) = 0 then
                return '{}';
            end if;
            number := number * length(letters) + strpos(letters, substr(piece, k, 1)) - 1;
        end loop;
        result := result || number;
    end loop;
    if id_encode(result, salt, min_length, alphabet) <> hashid then
        return '{}';
    end if;
    return result;
end;
$$;

-- Characters of a set, escaped for a regular-expression bracket expression.
create function _hashids_class(chars text) returns text
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$ select regexp_replace(chars, '([\\\]\[^-])', '\\\1', 'g') $$;

create function id_encode(number bigint) returns text
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$
    select id_encode(array[number], '', 0,
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890')
$$;
create function id_encode(number bigint, salt text) returns text
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$
    select id_encode(array[number], salt, 0,
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890')
$$;
create function id_encode(number bigint, salt text, min_length integer) returns text
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$
    select id_encode(array[number], salt, min_length,
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890')
$$;
create function id_encode(number bigint, salt text, min_length integer, alphabet text) returns text
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$ select id_encode(array[number], salt, min_length, alphabet) $$;
create function id_encode(numbers bigint[]) returns text
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$
    select id_encode(numbers, '', 0,
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890')
$$;
create function id_encode(numbers bigint[], salt text) returns text
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$
    select id_encode(numbers, salt, 0,
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890')
$$;
create function id_encode(numbers bigint[], salt text, min_length integer) returns text
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$
    select id_encode(numbers, salt, min_length,
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890')
$$;

create function id_decode(hashid text) returns bigint[]
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$
    select id_decode(hashid, '', 0,
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890')
$$;
create function id_decode(hashid text, salt text) returns bigint[]
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$
    select id_decode(hashid, salt, 0,
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890')
$$;
create function id_decode(hashid text, salt text, min_length integer) returns bigint[]
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$
    select id_decode(hashid, salt, min_length,
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890')
$$;

create function id_decode_once(hashid text) returns bigint
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$ select (id_decode(hashid))[1] $$;
create function id_decode_once(hashid text, salt text) returns bigint
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$ select (id_decode(hashid, salt))[1] $$;
create function id_decode_once(hashid text, salt text, min_length integer) returns bigint
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$ select (id_decode(hashid, salt, min_length))[1] $$;
create function id_decode_once(hashid text, salt text, min_length integer, alphabet text)
returns bigint
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$ select (id_decode(hashid, salt, min_length, alphabet))[1] $$;
