-- One name for one thing: these columns hold our id of a person in either messenger (VK's own id, or the id a MAX
-- person was given in max_accounts), `person_id` in every layer; their old name said VK only.
ALTER TABLE persons RENAME COLUMN vk_id TO person_id;
ALTER TABLE roles RENAME COLUMN vk_id TO person_id;
ALTER TABLE invite_failures RENAME COLUMN vk_id TO person_id;
ALTER TABLE conversations RENAME COLUMN vk_id TO person_id;
ALTER TABLE unreachable RENAME COLUMN vk_id TO person_id;
