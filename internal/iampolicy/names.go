package iampolicy

// HandoverPrefix begins the name of every password handover secret: the
// CLI's --password-stdin puts an adopted role's current password in one
// (internal/cli), the worker reads and deletes it. Both policies grant
// access to these names only.
const HandoverPrefix = "credstage/handover/"

// rdsMasterPrefix begins the name of the secret in which RDS keeps a DB
// instance's managed master password (ManageMasterUserPassword).
const rdsMasterPrefix = "rds!db-"
