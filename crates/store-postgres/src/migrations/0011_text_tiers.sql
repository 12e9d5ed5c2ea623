-- The text index again, with the words of names and labels also tagged
-- (`a~word`, `b~word`: write.rs, NAME_TAG and LABELS_TAG), so best match's
-- first two tiers are each read from their own posting lists. The words
-- of the versions already stored are indexed again by lib.rs right after
-- this step.
TRUNCATE object_text;
