package localaws

import "net/http"

// msgRateExceeded is the message every AWS service throttles with.
const msgRateExceeded = "Rate exceeded"

// throttlingError is the answer of the call's service to a call over its
// quota, as AWS writes it: Secrets Manager (awsJson1_1) a
// ThrottlingException, RDS (awsQuery) Throttling, both HTTP 400.
// CloudWatch is awsQueryCompatible: Throttling on every protocol (the
// x-amzn-query-error header on JSON and CBOR, which SDKs and the CLI
// report), its JSON shape ThrottlingException in __type. Every SDK's
// retryer classifies both codes as throttling.
func throttlingError(c *Call) *APIError {
	if c.Service == svcSecretsManager || c.Service == svcCloudTrail {
		return newError(http.StatusBadRequest, "ThrottlingException", msgRateExceeded)
	}
	e := newError(http.StatusBadRequest, "Throttling", msgRateExceeded)
	if c.Service == svcCloudWatch && c.Protocol != ProtoQuery {
		e.Type = "ThrottlingException"
	}
	return e
}
