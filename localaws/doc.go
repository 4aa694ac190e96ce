// Package localaws is a local emulator of the three AWS services credstage
// uses: Secrets Manager (awsJson1_1), RDS (awsQuery, with a real PostgreSQL
// cluster behind every DB instance) and CloudWatch (Smithy RPC v2 CBOR,
// awsJson1_0 and awsQuery). It speaks the real wire protocols so unmodified
// aws-sdk-go-v2 clients and AWS CLIs work against it by setting
// AWS_ENDPOINT_URL. It imports nothing else from credstage.
//
// Files are grouped by prefix: server_* and protocol_* route and encode
// requests, faults.go and requestlog.go serve tests, sm_* is Secrets
// Manager, rds_* is RDS, cw_* is CloudWatch, ct_* records every call as
// a CloudTrail event and answers LookupEvents, and internal/pgcluster
// runs the PostgreSQL clusters. scope_* keep each account and Region's
// state apart, as AWS does: every pair has its own services (scope.go),
// picked from the call's SigV4 credential scope and IAM principal
// (scope_call.go), naming its ARNs (scope_names.go).
package localaws
