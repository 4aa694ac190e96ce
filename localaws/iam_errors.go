package localaws

import "net/http"

// The answers of AWS's authentication and authorization layer, which
// differ by protocol family:
//
//	failure              JSON services (Secrets Manager)           query services (RDS)
//	no Authorization     MissingAuthenticationTokenException 400   MissingAuthenticationToken 403
//	malformed header     IncompleteSignatureException 400          IncompleteSignature 400
//	unknown access key   UnrecognizedClientException 400           InvalidClientTokenId 403
//	bad/expired signature InvalidSignatureException 400            SignatureDoesNotMatch 403
//	not allowed          AccessDeniedException 400                 AccessDenied 403
//
// CloudWatch is awsQueryCompatible: whichever protocol a client speaks
// (query, JSON 1.0, RPC v2 CBOR) it answers with the query code and
// status, and on JSON and CBOR names the JSON shape in __type while the
// x-amzn-query-error header carries the query code. SDKs and the CLI that
// honour the trait report the query code, so a caller classifying
// errors sees the same code on every protocol, the one CloudWatch's
// documentation lists.

type iamFailure int

const (
	failMissingAuth iamFailure = iota
	failIncomplete
	failUnknownKey
	failSignature
	failAccessDenied
)

var iamFailureCodes = map[iamFailure]struct {
	json        string
	jsonStatus  int
	query       string
	queryStatus int
}{
	failMissingAuth:  {"MissingAuthenticationTokenException", http.StatusBadRequest, "MissingAuthenticationToken", http.StatusForbidden},
	failIncomplete:   {"IncompleteSignatureException", http.StatusBadRequest, "IncompleteSignature", http.StatusBadRequest},
	failUnknownKey:   {"UnrecognizedClientException", http.StatusBadRequest, "InvalidClientTokenId", http.StatusForbidden},
	failSignature:    {"InvalidSignatureException", http.StatusBadRequest, "SignatureDoesNotMatch", http.StatusForbidden},
	failAccessDenied: {"AccessDeniedException", http.StatusBadRequest, "AccessDenied", http.StatusForbidden},
}

const (
	msgMissingAuth  = "Request is missing Authentication Token"
	msgUnknownKey   = "The security token included in the request is invalid."
	msgBadSignature = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// iamError builds the refusal in the family of the call's service.
func iamError(c *Call, f iamFailure, message string) *APIError {
	codes := iamFailureCodes[f]
	queryFamily := c.Service == svcRDS || c.Service == svcCloudWatch || (c.Service == "" && c.Protocol == ProtoQuery)
	if !queryFamily {
		return newError(codes.jsonStatus, codes.json, message)
	}
	e := newError(codes.queryStatus, codes.query, message)
	if c.Service == svcCloudWatch && c.Protocol != ProtoQuery {
		e.Type = codes.json
	}
	return e
}
