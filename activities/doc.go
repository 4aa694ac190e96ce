// Package activities holds every side effect of credstage: calls to RDS,
// Secrets Manager and CloudWatch, PostgreSQL logins and role changes, and
// the HTTP and alarm validators. Workflows reference these methods and the
// shared types here; they never touch the outside world themselves.
//
// Every step is idempotent: it first checks whether its effect is already
// there (so a retry after a crash is safe) and only then acts. No password
// ever crosses an activity boundary: inputs and results carry ARNs, version
// ids and usernames, and each activity fetches the secret value it needs.
package activities
