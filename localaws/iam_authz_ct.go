package localaws

// What a CloudTrail call needs: LookupEvents has no resource-level
// permissions, so cloudtrail:LookupEvents on "*" (CloudTrail's
// authorization reference). Reading the event history shows who did
// what to every secret, which is why it is a permission of its own.
func ctAuthzRequests(c *Call, base condContext) []authzRequest {
	return []authzRequest{{action: c.action(), resource: "*", context: base.clone()}}
}
