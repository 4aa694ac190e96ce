package localaws

// AWS's published request quotas, per account and Region, as token
// buckets: each call takes one token from its family's bucket, which
// refills at Rate tokens a second up to Burst. This table is the one place
// the numbers live (the README repeats it).
//
// Secrets Manager (user guide, "AWS Secrets Manager quotas"; none of these
// is adjustable): combined DeleteResourcePolicy, GetResourcePolicy,
// PutResourcePolicy, ValidateResourcePolicy 50/s; combined PutSecretValue,
// RemoveRegionsFromReplication, ReplicateSecretToRegions,
// StopReplicationToReplica, UpdateSecret, UpdateSecretVersionStage 50/s;
// RestoreSecret 50/s; combined RotateSecret, CancelRotateSecret 50/s;
// combined TagResource, UntagResource 50/s; BatchGetSecretValue 100/s;
// CreateSecret 50/s; DeleteSecret 50/s; GetRandomPassword 50/s;
// ListSecretVersionIds 50/s; ListSecrets 100/s; GetSecretValue 10,000/s
// and DescribeSecret 40,000/s (raised in March 2025; until then the two
// shared one 10,000/s quota). AWS publishes no burst for these, so a
// bucket holds one second of its rate.
//
// RDS (user guide, "Request throttling for the Amazon RDS API"): "up to
// 300 requests in a burst and a sustained 12 requests per second" per
// account and Region. localaws draws every RDS action from that one
// bucket; AWS may keep separate buckets for some actions, which it does
// not publish, and a config file can split them off (quota_config.go).
//
// CloudWatch (user guide, "CloudWatch service quotas"; each operation its
// own quota): PutMetricData 500/s, GetMetricData 50/s (10/s with Metrics
// Insights queries, which localaws does not serve), GetMetricStatistics
// 400/s, ListMetrics 25/s, DescribeAlarms 9/s, PutMetricAlarm 3/s,
// DeleteAlarms 3/s, SetAlarmState 3/s. No burst is published: one second
// of rate.
//
// CloudTrail (API reference, LookupEvents): "The rate of lookup requests
// is limited to two per second, per account, per Region."

// QuotaFamily is one bucket of request quota: the operations of a service
// that draw from it, the rate it refills at and how many calls it holds.
type QuotaFamily struct {
	// Name identifies the family in a quota config and the request log
	// ("secretsmanager:writes", "rds:api", "cloudwatch:PutMetricData").
	Name string `json:"name"`
	// Service is the signing name: secretsmanager, rds or monitoring.
	Service string `json:"service"`
	// Operations draw from the bucket; empty means every operation of the
	// service that no other family names.
	Operations []string `json:"operations,omitempty"`
	// Rate is the sustained calls per second, Burst the bucket's size.
	Rate  float64 `json:"rate"`
	Burst float64 `json:"burst"`
}

// awsQuotaTable is AWS's defaults (see above). Burst 0 means one second
// of Rate.
var awsQuotaTable = []QuotaFamily{
	{Name: "secretsmanager:writes", Service: svcSecretsManager, Rate: 50, Operations: []string{
		"PutSecretValue", "UpdateSecret", "UpdateSecretVersionStage",
		"RemoveRegionsFromReplication", "ReplicateSecretToRegions", "StopReplicationToReplica"}},
	{Name: "secretsmanager:resource-policy", Service: svcSecretsManager, Rate: 50, Operations: []string{
		"PutResourcePolicy", "GetResourcePolicy", "DeleteResourcePolicy", "ValidateResourcePolicy"}},
	{Name: "secretsmanager:rotation", Service: svcSecretsManager, Rate: 50, Operations: []string{"RotateSecret", "CancelRotateSecret"}},
	{Name: "secretsmanager:tags", Service: svcSecretsManager, Rate: 50, Operations: []string{"TagResource", "UntagResource"}},
	{Name: "secretsmanager:CreateSecret", Service: svcSecretsManager, Rate: 50, Operations: []string{"CreateSecret"}},
	{Name: "secretsmanager:DeleteSecret", Service: svcSecretsManager, Rate: 50, Operations: []string{"DeleteSecret"}},
	{Name: "secretsmanager:RestoreSecret", Service: svcSecretsManager, Rate: 50, Operations: []string{"RestoreSecret"}},
	{Name: "secretsmanager:GetRandomPassword", Service: svcSecretsManager, Rate: 50, Operations: []string{"GetRandomPassword"}},
	{Name: "secretsmanager:ListSecretVersionIds", Service: svcSecretsManager, Rate: 50, Operations: []string{"ListSecretVersionIds"}},
	{Name: "secretsmanager:ListSecrets", Service: svcSecretsManager, Rate: 100, Operations: []string{"ListSecrets"}},
	{Name: "secretsmanager:BatchGetSecretValue", Service: svcSecretsManager, Rate: 100, Operations: []string{"BatchGetSecretValue"}},
	{Name: "secretsmanager:GetSecretValue", Service: svcSecretsManager, Rate: 10_000, Operations: []string{"GetSecretValue"}},
	{Name: "secretsmanager:DescribeSecret", Service: svcSecretsManager, Rate: 40_000, Operations: []string{"DescribeSecret"}},

	{Name: "rds:api", Service: svcRDS, Rate: 12, Burst: 300},

	{Name: "cloudwatch:PutMetricData", Service: svcCloudWatch, Rate: 500, Operations: []string{"PutMetricData"}},
	{Name: "cloudwatch:GetMetricData", Service: svcCloudWatch, Rate: 50, Operations: []string{"GetMetricData"}},
	{Name: "cloudwatch:GetMetricStatistics", Service: svcCloudWatch, Rate: 400, Operations: []string{"GetMetricStatistics"}},
	{Name: "cloudwatch:ListMetrics", Service: svcCloudWatch, Rate: 25, Operations: []string{"ListMetrics"}},
	{Name: "cloudwatch:DescribeAlarms", Service: svcCloudWatch, Rate: 9, Operations: []string{"DescribeAlarms"}},
	{Name: "cloudwatch:DescribeAlarmsForMetric", Service: svcCloudWatch, Rate: 9, Operations: []string{"DescribeAlarmsForMetric"}},
	{Name: "cloudwatch:PutMetricAlarm", Service: svcCloudWatch, Rate: 3, Operations: []string{"PutMetricAlarm"}},
	{Name: "cloudwatch:DeleteAlarms", Service: svcCloudWatch, Rate: 3, Operations: []string{"DeleteAlarms"}},
	{Name: "cloudwatch:SetAlarmState", Service: svcCloudWatch, Rate: 3, Operations: []string{"SetAlarmState"}},

	{Name: "cloudtrail:LookupEvents", Service: svcCloudTrail, Rate: 2, Operations: []string{"LookupEvents"}},
}

// AWSQuotas returns AWS's default quota table (a copy), with each burst
// filled in.
func AWSQuotas() []QuotaFamily {
	out := make([]QuotaFamily, len(awsQuotaTable))
	for i, f := range awsQuotaTable {
		f.Operations = append([]string(nil), f.Operations...)
		if f.Burst == 0 {
			f.Burst = f.Rate
		}
		out[i] = f
	}
	return out
}
