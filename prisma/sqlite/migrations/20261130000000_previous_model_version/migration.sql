-- The version a collection served before its last promote or rollback (issue 8).
ALTER TABLE "Collection" ADD COLUMN "previousModelVersion" TEXT;
