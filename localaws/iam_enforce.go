package localaws

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"
	"time"
)

// iamEnforcer authenticates every AWS call (SigV4) and authorizes it
// against the caller's policies before any service or injected fault sees
// it (ServeHTTP). Calls a service makes inside the emulator, like RDS
// creating its managed master secret through the Secrets Manager Go API,
// never pass here, as on AWS a service's own work is not the caller's.
type iamEnforcer struct {
	byKey map[string]*iamIdentity
	now   func() time.Time
}

func newIAMEnforcer(cfg *IAMConfig) (*iamEnforcer, error) {
	byKey, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	return &iamEnforcer{byKey: byKey, now: time.Now}, nil
}

// authenticate verifies the request's signature and returns the caller.
// On a refusal it records the reason in c.Decision.
func (e *iamEnforcer) authenticate(r *http.Request, rawBody []byte, c *Call) (*iamIdentity, *APIError) {
	refuse := func(f iamFailure, decision, message string) (*iamIdentity, *APIError) {
		c.Decision = decision
		return nil, iamError(c, f, message)
	}
	header := r.Header.Get("Authorization")
	if header == "" {
		if r.URL.Query().Get("X-Amz-Signature") != "" {
			return refuse(failIncomplete, "deny: incomplete signature", "localaws accepts SigV4 in the Authorization header only, not presigned query strings.")
		}
		return refuse(failMissingAuth, "deny: missing authentication", msgMissingAuth)
	}
	auth, problem := parseAuthorization(header)
	if auth == nil {
		return refuse(failIncomplete, "deny: incomplete signature", problem)
	}
	id := e.byKey[auth.accessKey]
	if id == nil || r.Header.Get("X-Amz-Security-Token") != "" {
		// localaws has no STS, so no session token is ever valid.
		return refuse(failUnknownKey, "deny: unknown access key", msgUnknownKey)
	}
	signedAt, amzDate, ok := requestTime(r)
	if !ok {
		return refuse(failIncomplete, "deny: incomplete signature",
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if problem := checkScope(auth, amzDate, c.Service); problem != "" {
		return refuse(failSignature, "deny: credential scope", problem)
	}
	if !slices.Contains(auth.signedHeaders, "host") {
		return refuse(failSignature, "deny: signature does not match", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if problem := checkSkew(signedAt, e.now()); problem != "" {
		return refuse(failSignature, "deny: signature expired", problem)
	}
	hash, ok := payloadHash(r, rawBody)
	if !ok {
		return refuse(failSignature, "deny: signature does not match", msgBadSignature)
	}
	want := sigV4Signature(id.secret, auth, amzDate, canonicalRequest(r, auth.signedHeaders, hash))
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(auth.signature))) != 1 {
		return refuse(failSignature, "deny: signature does not match", msgBadSignature)
	}
	c.Principal, c.account = id.arn, id.account
	return id, nil
}

// authorize evaluates every permission the call needs; the first refused
// one is the answer. It leaves c.authz set for the checks a service makes
// per item (BatchGetSecretValue's secrets).
func (s *Server) authorize(c *Call, id *iamIdentity) *APIError {
	sc, err := s.scopeOf(c)
	if err != nil {
		return errInternal(err.Error())
	}
	base := s.iam.baseContext(id, s.callScope(c).region)
	reqs := s.authzRequests(sc, c, base)
	for i := range reqs {
		req := &reqs[i]
		if req.resourceAccount == "" {
			req.resourceAccount = sc.env.accountID
		}
		res := id.evaluate(req)
		if !res.allowed() {
			c.Decision = res.decision()
			if req.action != c.action() {
				c.Decision += " " + req.action
			}
			return iamError(c, failAccessDenied, accessDeniedMessage(id.arn, req, res))
		}
		if i == 0 {
			c.Decision = res.decision()
		}
	}
	c.authz = &callAuthz{id: id, base: base, call: c}
	return nil
}

// authzRequests lists the permissions a call needs, first the one named
// after its operation.
func (s *Server) authzRequests(sc *scope, c *Call, base condContext) []authzRequest {
	switch c.Service {
	case svcSecretsManager:
		return sc.sm.authzRequests(c, base)
	case svcRDS:
		return sc.rds.authzRequests(c, base)
	case svcCloudWatch:
		return sc.cw.authzRequests(c, base)
	case svcCloudTrail:
		return ctAuthzRequests(c, base)
	}
	return []authzRequest{{action: c.action(), resource: "*", context: base}}
}

// baseContext holds the global condition keys every request carries.
func (e *iamEnforcer) baseContext(id *iamIdentity, region string) condContext {
	ctx := condContext{}
	ctx.set("aws:PrincipalArn", id.arn)
	ctx.set("aws:PrincipalAccount", id.account)
	// localaws serves plain HTTP.
	ctx.set("aws:SecureTransport", "false")
	ctx.set("aws:RequestedRegion", region)
	ctx.set("aws:ViaAWSService", "false")
	if name, ok := strings.CutPrefix(id.arn[strings.LastIndex(id.arn, ":")+1:], "user/"); ok {
		ctx.set("aws:username", name[strings.LastIndex(name, "/")+1:])
	}
	return ctx
}

// clone copies a context so one request's keys do not leak into another.
func (c condContext) clone() condContext {
	out := make(condContext, len(c)+8)
	for k, v := range c {
		out[k] = v
	}
	return out
}

// viaService marks a request RDS makes on the caller's behalf (forward
// access sessions), as AWS's aws:CalledVia and aws:ViaAWSService show it.
func (c condContext) viaService(servicePrincipal string) condContext {
	out := c.clone()
	out.set("aws:ViaAWSService", "true")
	out.set("aws:CalledVia", servicePrincipal)
	return out
}

// callAuthz lets a service check permissions per item of a call.
type callAuthz struct {
	id   *iamIdentity
	base condContext
	call *Call
}

// check evaluates one more request for the call's caller.
func (a *callAuthz) check(req authzRequest) *APIError {
	res := a.id.evaluate(&req)
	if res.allowed() {
		return nil
	}
	return iamError(a.call, failAccessDenied, accessDeniedMessage(a.id.arn, &req, res))
}

// action is the IAM action named after the call's operation.
func (c *Call) action() string {
	prefix := c.Service
	if c.Service == svcCloudWatch {
		prefix = "cloudwatch"
	}
	return prefix + ":" + c.Op
}

// withTags adds the tag keys of a request or resource.
func (c condContext) withTags(prefixes []string, tags map[string]string) {
	for k, v := range tags {
		for _, p := range prefixes {
			c.set(p+k, v)
		}
	}
}

// withRequestTags sets aws:RequestTag/<k> and aws:TagKeys from the tags
// a request carries, in its service's shape (see tagsOf).
func withRequestTags[T any](c condContext, list []T, kv func(T) (key, value string, ok bool)) {
	tags, keys := tagsOf(list, kv)
	c.withTags([]string{"aws:RequestTag/"}, tags)
	if len(keys) > 0 {
		c.set("aws:TagKeys", keys...)
	}
}

// tagsOf reads a tag list, whichever service's shape it has, as condition
// keys take it: the map, and the keys in the order given. kv reads one
// tag; ok false skips a tag without a key.
func tagsOf[T any](list []T, kv func(T) (key, value string, ok bool)) (map[string]string, []string) {
	tags := make(map[string]string, len(list))
	keys := make([]string, 0, len(list))
	for _, t := range list {
		if k, v, ok := kv(t); ok {
			tags[k] = v
			keys = append(keys, k)
		}
	}
	return tags, keys
}

func (t rdsTag) kv() (key, value string, ok bool) { return t.Key, t.Value, true }
func (t cwTag) kv() (key, value string, ok bool)  { return t.Key, t.Value, true }
func (t smKV) kv() (key, value string, ok bool)   { return t.Key, t.Value, true }
func (t smTag) kv() (key, value string, ok bool) {
	if t.Key == nil {
		return "", "", false
	}
	return *t.Key, deref(t.Value), true
}
