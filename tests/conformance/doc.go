//go:build conformance

// Command conformance is a differential check of localaws against moto: it
// starts both emulators on free ports, sends each the same sequences of
// calls through the real aws-sdk-go-v2 clients (every Secrets Manager, RDS
// and CloudWatch operation credstage makes, and the error cases AWS
// documents), normalizes what AWS leaves open (ids, ARN suffixes, account
// ids, times, unordered lists) and compares answers, error codes, messages
// and HTTP statuses.
//
// Neither emulator is the reference: each difference carries a verdict kept
// beside the cases (verdicts.go), decided from AWS's documentation. A
// difference without one is "unjudged" and fails the run, so that a new
// difference, from either emulator changing, gets looked at.
//
// The build tag keeps it out of `go test ./...` and `go vet ./...`: it
// needs moto_server, which only some machines have. Run it with
// `make conformance`.
package main
