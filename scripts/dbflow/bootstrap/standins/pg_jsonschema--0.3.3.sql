-- dbflow stand-in for pg_jsonschema: json_matches_schema, jsonb_matches_schema,
-- jsonschema_is_valid and jsonschema_validation_errors, in PL/pgSQL.
-- Keywords validated: type, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
-- multipleOf, minLength, maxLength, pattern, format (date-time, date, time, email, uuid, uri,
-- ipv4, ipv6; others are annotations), properties, required, additionalProperties,
-- patternProperties, propertyNames, minProperties, maxProperties, dependentRequired, items,
-- prefixItems, additionalItems, minItems, maxItems, uniqueItems, contains, allOf, anyOf, oneOf,
-- not, if/then/else, and $ref to the schema's own #/definitions or #/$defs. Annotations
-- ($schema, $id, title, description, default, examples, ...) are accepted. Any other keyword
-- raises an error: it is never silently taken as valid. Patterns use PostgreSQL's regular
-- expressions, which agree with ECMA-262 on the usual patterns.

create function _jsonschema_errors(schema jsonb, instance jsonb, root jsonb, path text)
returns text[]
language plpgsql immutable
set search_path = @extschema@, pg_catalog as $$
#variable_conflict use_variable
declare
    errors text[] := '{}';
    keyword text;
    value jsonb;
    kind text := jsonb_typeof(instance);
    types text[];
    matched integer;
    sub jsonb;
    item jsonb;
    idx integer;
    prop text;
    name text;
    known text[];
    number numeric;
begin
    if jsonb_typeof(schema) = 'boolean' then
        return case when schema = 'true'::jsonb then '{}'::text[]
                    else array[path || ': false schema allows nothing'] end;
    end if;
    if jsonb_typeof(schema) <> 'object' then
        raise exception 'pg_jsonschema stand-in: a schema must be an object or a boolean, not %',
            schema;
    end if;
    for keyword, value in select * from jsonb_each(schema) loop
        case keyword
        when '$schema', '$id', 'id', 'title', 'description', 'default', 'examples', '$comment',
             'readOnly', 'writeOnly', 'deprecated', 'contentMediaType', 'contentEncoding',
             'definitions', '$defs', 'then', 'else', 'additionalItems', 'minContains',
             'maxContains' then
            null;  -- annotations, or read together with another keyword
        when '$ref' then
            errors := errors || _jsonschema_errors(_jsonschema_ref(root, value #>> '{}'),
                                                   instance, root, path);
        when 'type' then
            types := case when jsonb_typeof(value) = 'array'
                          then array(select jsonb_array_elements_text(value))
                          else array[value #>> '{}'] end;
            if not (kind = any(types)
                    or (kind = 'number' and 'integer' = any(types)
                        and (instance #>> '{}')::numeric = trunc((instance #>> '{}')::numeric)))
            then
                errors := errors || (path || ': ' || kind || ' is not of type '
                                     || array_to_string(types, ', '));
            end if;
        when 'enum' then
            if not exists (select 1 from jsonb_array_elements(value) e where e = instance) then
                errors := errors || (path || ': ' || instance::text || ' is not one of ' || value::text);
            end if;
        when 'const' then
            if value <> instance then
                errors := errors || (path || ': ' || instance::text || ' is not ' || value::text);
            end if;
        when 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf' then
            if kind = 'number' then
                number := (instance #>> '{}')::numeric;
                if jsonb_typeof(value) = 'boolean' then
                    null;  -- draft-04 exclusive flags: read with minimum / maximum below
                elsif keyword = 'minimum' and (number < value::text::numeric or (
                        number = value::text::numeric and schema -> 'exclusiveMinimum' = 'true')) then
                    errors := errors || (path || ': ' || number || ' is less than the minimum ' || value::text);
                elsif keyword = 'maximum' and (number > value::text::numeric or (
                        number = value::text::numeric and schema -> 'exclusiveMaximum' = 'true')) then
                    errors := errors || (path || ': ' || number || ' is more than the maximum ' || value::text);
                elsif keyword = 'exclusiveMinimum' and number <= value::text::numeric then
                    errors := errors || (path || ': ' || number || ' is not more than ' || value::text);
                elsif keyword = 'exclusiveMaximum' and number >= value::text::numeric then
                    errors := errors || (path || ': ' || number || ' is not less than ' || value::text);
                elsif keyword = 'multipleOf' and mod(number, value::text::numeric) <> 0 then
                    errors := errors || (path || ': ' || number || ' is not a multiple of ' || value::text);
                end if;
            end if;
        when 'minLength', 'maxLength', 'pattern', 'format' then
            if kind = 'string' then
                if keyword = 'minLength' and char_length(instance #>> '{}') < value::text::integer then
                    errors := errors || (path || ': shorter than ' || value::text || ' characters');
                elsif keyword = 'maxLength' and char_length(instance #>> '{}') > value::text::integer then
                    errors := errors || (path || ': longer than ' || value::text || ' characters');
                elsif keyword = 'pattern' and not (instance #>> '{}') ~ (value #>> '{}') then
                    errors := errors || (path || ': does not match ' || value::text);
                elsif keyword = 'format' and not _jsonschema_format(value #>> '{}', instance #>> '{}') then
                    errors := errors || (path || ': is not a valid ' || (value #>> '{}'));
                end if;
            end if;
        when 'properties', 'patternProperties', 'additionalProperties' then
            if kind = 'object' and keyword = 'properties' then
                for prop, sub in select * from jsonb_each(value) loop
                    if instance ? prop then
                        errors := errors || _jsonschema_errors(sub, instance -> prop, root,
                                                               path || '.' || prop);
                    end if;
                end loop;
            elsif kind = 'object' and keyword = 'patternProperties' then
                for prop, sub in select * from jsonb_each(value) loop
                    for name in select k from jsonb_object_keys(instance) k where k ~ prop loop
                        errors := errors || _jsonschema_errors(sub, instance -> name, root,
                                                               path || '.' || name);
                    end loop;
                end loop;
            elsif kind = 'object' then
                known := array(select jsonb_object_keys(coalesce(schema -> 'properties', '{}')));
                for prop in select k from jsonb_object_keys(instance) k loop
                    if not prop = any(known) and not exists (
                        select 1 from jsonb_object_keys(coalesce(schema -> 'patternProperties', '{}')) p
                        where prop ~ p) then
                        errors := errors || _jsonschema_errors(value, instance -> prop, root,
                                                               path || '.' || prop);
                    end if;
                end loop;
            end if;
        when 'required' then
            if kind = 'object' then
                for prop in select jsonb_array_elements_text(value) loop
                    if not instance ? prop then
                        errors := errors || (path || ': ' || prop || ' is a required property');
                    end if;
                end loop;
            end if;
        when 'minProperties', 'maxProperties', 'propertyNames', 'dependentRequired' then
            if kind = 'object' then
                if keyword = 'minProperties' and (select count(*) from jsonb_object_keys(instance))
                        < value::text::integer then
                    errors := errors || (path || ': has fewer than ' || value::text || ' properties');
                elsif keyword = 'maxProperties' and (select count(*) from jsonb_object_keys(instance))
                        > value::text::integer then
                    errors := errors || (path || ': has more than ' || value::text || ' properties');
                elsif keyword = 'propertyNames' then
                    for prop in select jsonb_object_keys(instance) loop
                        errors := errors || _jsonschema_errors(value, to_jsonb(prop), root,
                                                               path || '.' || prop);
                    end loop;
                elsif keyword = 'dependentRequired' then
                    for prop, sub in select * from jsonb_each(value) loop
                        if instance ? prop and exists (
                            select 1 from jsonb_array_elements_text(sub) d where not instance ? d) then
                            errors := errors || (path || ': ' || prop || ' requires ' || sub::text);
                        end if;
                    end loop;
                end if;
            end if;
        when 'items', 'prefixItems' then
            if kind = 'array' then
                idx := 0;
                for item in select jsonb_array_elements(instance) loop
                    if keyword = 'items' and jsonb_typeof(value) <> 'array' then
                        if not (schema ? 'prefixItems' and idx < jsonb_array_length(schema -> 'prefixItems')) then
                            errors := errors || _jsonschema_errors(value, item, root,
                                                                   path || '[' || idx || ']');
                        end if;
                    elsif idx < jsonb_array_length(value) then
                        errors := errors || _jsonschema_errors(value -> idx, item, root,
                                                               path || '[' || idx || ']');
                    elsif keyword = 'items' and schema ? 'additionalItems' then
                        errors := errors || _jsonschema_errors(schema -> 'additionalItems', item,
                                                               root, path || '[' || idx || ']');
                    end if;
                    idx := idx + 1;
                end loop;
            end if;
        when 'minItems', 'maxItems', 'uniqueItems', 'contains' then
            if kind = 'array' then
                if keyword = 'minItems' and jsonb_array_length(instance) < value::text::integer then
                    errors := errors || (path || ': has fewer than ' || value::text || ' items');
                elsif keyword = 'maxItems' and jsonb_array_length(instance) > value::text::integer then
                    errors := errors || (path || ': has more than ' || value::text || ' items');
                elsif keyword = 'uniqueItems' and value = 'true' and (
                    select count(*) <> count(distinct e) from jsonb_array_elements(instance) e) then
                    errors := errors || (path || ': has non-unique items');
                elsif keyword = 'contains' then
                    matched := (select count(*) from jsonb_array_elements(instance) e
                                where cardinality(_jsonschema_errors(value, e, root, path)) = 0);
                    if matched < coalesce((schema ->> 'minContains')::integer, 1)
                       or matched > coalesce((schema ->> 'maxContains')::integer, matched) then
                        errors := errors || (path || ': does not contain what the schema asks');
                    end if;
                end if;
            end if;
        when 'allOf' then
            for sub in select jsonb_array_elements(value) loop
                errors := errors || _jsonschema_errors(sub, instance, root, path);
            end loop;
        when 'anyOf', 'oneOf' then
            matched := (select count(*) from jsonb_array_elements(value) s
                        where cardinality(_jsonschema_errors(s, instance, root, path)) = 0);
            if keyword = 'anyOf' and matched = 0 then
                errors := errors || (path || ': matches none of anyOf');
            elsif keyword = 'oneOf' and matched <> 1 then
                errors := errors || (path || ': matches ' || matched || ' of oneOf, not exactly one');
            end if;
        when 'not' then
            if cardinality(_jsonschema_errors(value, instance, root, path)) = 0 then
                errors := errors || (path || ': matches the schema under not');
            end if;
        when 'if' then
            if cardinality(_jsonschema_errors(value, instance, root, path)) = 0 then
                if schema ? 'then' then
                    errors := errors || _jsonschema_errors(schema -> 'then', instance, root, path);
                end if;
            elsif schema ? 'else' then
                errors := errors || _jsonschema_errors(schema -> 'else', instance, root, path);
            end if;
        else
            raise exception 'pg_jsonschema stand-in: the keyword "%" is not supported', keyword
                using hint = 'the real extension may support it: check this schema against it';
        end case;
    end loop;
    return errors;
end;
$$;

create function _jsonschema_ref(root jsonb, ref text) returns jsonb
language plpgsql immutable
set search_path = @extschema@, pg_catalog as $$
declare
    found jsonb;
begin
    if ref = '#' then
        return root;
    end if;
    if ref !~ '^#/' then
        raise exception 'pg_jsonschema stand-in: $ref "%" is not supported (only #/... within the schema)', ref;
    end if;
    found := root #> string_to_array(replace(replace(substr(ref, 3), '~1', '/'), '~0', '~'), '/');
    if found is null then
        raise exception 'pg_jsonschema stand-in: $ref "%" points at nothing', ref;
    end if;
    return found;
end;
$$;

create function _jsonschema_format(format text, value text) returns boolean
language sql immutable
set search_path = @extschema@, pg_catalog as $$
    select case format
        when 'date-time' then value ~* '^\d{4}-\d\d-\d\dt\d\d:\d\d:\d\d(\.\d+)?(z|[+-]\d\d:\d\d)$'
        when 'date' then value ~ '^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$'
        when 'time' then value ~* '^\d\d:\d\d:\d\d(\.\d+)?(z|[+-]\d\d:\d\d)?$'
        when 'email' then value ~ '^[^@\s]+@[^@\s]+$'
        when 'uuid' then value ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        when 'uri' then value ~* '^[a-z][a-z0-9+.-]*:[^\s]*$'
        when 'ipv4' then value ~ '^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$'
        when 'ipv6' then value ~* '^[0-9a-f:.]+$' and value like '%:%'
        else true
    end
$$;

create function jsonschema_validation_errors(schema json, instance json) returns text[]
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$
    select _jsonschema_errors(schema::jsonb, instance::jsonb, schema::jsonb, '$')
$$;

create function json_matches_schema(schema json, instance json) returns boolean
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$
    select cardinality(_jsonschema_errors(schema::jsonb, instance::jsonb, schema::jsonb, '$')) = 0
$$;

create function jsonb_matches_schema(schema json, instance jsonb) returns boolean
language sql immutable strict
set search_path = @extschema@, pg_catalog as $$
    select cardinality(_jsonschema_errors(schema::jsonb, instance, schema::jsonb, '$')) = 0
$$;

-- A schema is valid when its keywords have values of the right kind (and are supported).
create function jsonschema_is_valid(schema json) returns boolean
language plpgsql immutable strict
set search_path = @extschema@, pg_catalog as $$
begin
    return _jsonschema_well_formed(schema::jsonb);
exception when invalid_text_representation or invalid_regular_expression
          or data_exception then
    return false;
end;
$$;

create function _jsonschema_well_formed(schema jsonb) returns boolean
language plpgsql immutable
set search_path = @extschema@, pg_catalog as $$
#variable_conflict use_variable
declare
    keyword text;
    value jsonb;
begin
    if jsonb_typeof(schema) = 'boolean' then
        return true;
    end if;
    if jsonb_typeof(schema) <> 'object' then
        return false;
    end if;
    for keyword, value in select * from jsonb_each(schema) loop
        if not keyword = any(array[
            '$schema', '$id', 'id', 'title', 'description', 'default', 'examples', '$comment',
            'readOnly', 'writeOnly', 'deprecated', 'contentMediaType', 'contentEncoding',
            'definitions', '$defs', 'then', 'else', 'additionalItems', 'minContains',
            'maxContains', '$ref', 'type', 'enum', 'const', 'minimum', 'maximum',
            'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength',
            'pattern', 'format', 'properties', 'patternProperties', 'additionalProperties',
            'required', 'minProperties', 'maxProperties', 'propertyNames', 'dependentRequired',
            'items', 'prefixItems', 'minItems', 'maxItems', 'uniqueItems', 'contains', 'allOf',
            'anyOf', 'oneOf', 'not', 'if'])
        then
            raise exception 'pg_jsonschema stand-in: the keyword "%" is not supported', keyword
                using hint = 'the real extension may support it: check this schema against it';
        elsif keyword = '$ref' and value #>> '{}' !~ '^#(/|$)' then
            raise exception 'pg_jsonschema stand-in: $ref "%" is not supported (only #/... within the schema)',
                value #>> '{}';
        end if;
        if keyword = 'type' and not (
            (jsonb_typeof(value) = 'string' and value #>> '{}' in
                ('null', 'boolean', 'object', 'array', 'number', 'string', 'integer'))
            or (jsonb_typeof(value) = 'array' and not exists (
                select 1 from jsonb_array_elements_text(value) t where t not in
                ('null', 'boolean', 'object', 'array', 'number', 'string', 'integer'))))
        then
            return false;
        elsif keyword in ('required', 'enum') and jsonb_typeof(value) <> 'array' then
            return false;
        elsif keyword in ('properties', 'patternProperties', 'definitions', '$defs', 'dependentRequired')
              and jsonb_typeof(value) <> 'object' then
            return false;
        elsif keyword in ('minimum', 'maximum', 'multipleOf', 'minLength', 'maxLength', 'minItems',
                          'maxItems', 'minProperties', 'maxProperties')
              and jsonb_typeof(value) <> 'number' then
            return false;
        elsif keyword in ('allOf', 'anyOf', 'oneOf', 'prefixItems') then
            if jsonb_typeof(value) <> 'array' or exists (
                select 1 from jsonb_array_elements(value) s where not _jsonschema_well_formed(s)) then
                return false;
            end if;
        elsif keyword in ('not', 'additionalProperties', 'items', 'contains', 'if', 'then', 'else',
                          'propertyNames', 'additionalItems')
              and jsonb_typeof(value) in ('object', 'boolean') and not _jsonschema_well_formed(value) then
            return false;
        elsif keyword in ('properties', 'patternProperties', 'definitions', '$defs') and exists (
                select 1 from jsonb_each(value) e where not _jsonschema_well_formed(e.value)) then
            return false;
        end if;
    end loop;
    return true;
end;
$$;
