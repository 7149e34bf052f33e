-- Instances and job leases (issue 21): jobs carry their owner and a lease the owner's heartbeat renews.
ALTER TABLE "Job" ADD COLUMN "ownerInstanceId" TEXT;
ALTER TABLE "Job" ADD COLUMN "leaseExpiresAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "Instance" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Instance_pkey" PRIMARY KEY ("id")
);
