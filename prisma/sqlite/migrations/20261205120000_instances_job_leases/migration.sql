-- Instances and job leases (issue 21): jobs carry their owner and a lease the owner's heartbeat renews.
ALTER TABLE "Job" ADD COLUMN "ownerInstanceId" TEXT;
ALTER TABLE "Job" ADD COLUMN "leaseExpiresAt" DATETIME;

-- CreateTable
CREATE TABLE "Instance" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" DATETIME NOT NULL
);
