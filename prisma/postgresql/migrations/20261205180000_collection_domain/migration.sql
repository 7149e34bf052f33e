-- The image domain of an object collection (issue 19): 'drawings' or 'photos'; null for face collections.
-- Object collections made before it were served drawing models.
ALTER TABLE "Collection" ADD COLUMN "domain" TEXT;
UPDATE "Collection" SET "domain" = 'drawings' WHERE "kind" = 'object';
