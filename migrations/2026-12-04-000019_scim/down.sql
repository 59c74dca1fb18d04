DROP TRIGGER audit_scim_tokens ON scim_tokens;
DROP FUNCTION audit_scim_tokens();
DROP INDEX teams_external_id_key;
DROP INDEX teams_sibling_name_key;
CREATE UNIQUE INDEX teams_sibling_name_key
    ON teams (coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name));
ALTER TABLE teams DROP COLUMN scim_deleted_at, DROP COLUMN external_id;
DROP INDEX employees_manager_idx;
ALTER TABLE employees
    DROP CONSTRAINT employees_scim_deleted_inactive,
    DROP COLUMN scim_deleted_at,
    DROP COLUMN manager_id,
    DROP COLUMN department,
    DROP COLUMN scim_external_id;
DROP TABLE scim_tokens;
