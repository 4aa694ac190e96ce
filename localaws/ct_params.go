package localaws

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// What of a request an event keeps. The parameters are a whitelist per
// service: only members known to name things or choose behaviour, never
// one that carries a value (SecretString, SecretBinary,
// MasterUserPassword, a metric's data). A member a future operation adds
// is left out until someone decides it is safe, rather than logged until
// someone notices it is not.
var ctSafeParams = map[string]map[string]bool{
	svcSecretsManager: setOf("SecretId", "Name", "VersionId", "VersionStage", "VersionStages",
		"MoveToVersionId", "RemoveFromVersionId", "ClientRequestToken", "Description", "KmsKeyId",
		"RotationLambdaARN", "RotationRules", "RotateImmediately", "RecoveryWindowInDays",
		"ForceDeleteWithoutRecovery", "Tags", "TagKeys", "SecretIdList", "Filters", "MaxResults",
		"IncludeDeprecated", "IncludePlannedDeletion", "SortOrder", "BlockPublicPolicy",
		"ResourcePolicy", "PasswordLength", "ExcludeNumbers", "ExcludePunctuation",
		"ExcludeUppercase", "ExcludeLowercase", "IncludeSpace", "RequireEachIncludedType"),
	svcRDS: setOf("DBInstanceIdentifier", "DBInstanceClass", "Engine", "EngineVersion",
		"AllocatedStorage", "DBName", "MasterUsername", "ManageMasterUserPassword",
		"RotateMasterUserPassword", "ApplyImmediately", "DBParameterGroupName",
		"DBParameterGroupFamily", "Description", "ResourceName", "TagKeys", "SkipFinalSnapshot",
		"DeleteAutomatedBackups", "MaxRecords", "Marker", "Port", "ForceFailover", "Source"),
	svcCloudWatch: setOf("Namespace", "MetricName", "AlarmName", "AlarmNames", "AlarmNamePrefix",
		"StateValue", "StateReason", "ComparisonOperator", "Threshold", "EvaluationPeriods",
		"Period", "Statistic", "MaxRecords", "StartTime", "EndTime", "ScanBy", "MaxDatapoints",
		"ExtendedStatistic", "Unit", "ResourceARN", "TagKeys"),
	svcCloudTrail: setOf("LookupAttributes", "StartTime", "EndTime", "MaxResults", "EventCategory"),
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// ctRequestParameters keeps the call's whitelisted members, named as
// CloudTrail names them (lower camel case). nil when none is left.
func ctRequestParameters(c *Call) map[string]any {
	safe := ctSafeParams[c.Service]
	out := map[string]any{}
	keep := func(k string, v any) {
		if safe[k] {
			out[lowerFirst(k)] = v
		}
	}
	switch c.Protocol {
	case ProtoQuery:
		lists := map[string][]string{}
		for k, vs := range c.Form {
			if name, _, ok := strings.Cut(k, ".member."); ok && safe[name] {
				lists[name] = append(lists[name], vs...)
				continue
			}
			if k != "Action" && k != "Version" && len(vs) > 0 {
				keep(k, vs[0])
			}
		}
		for k, vs := range lists {
			sort.Strings(vs)
			keep(k, vs)
		}
	default:
		var m map[string]any
		if c.Protocol == ProtoCBOR {
			_ = cbor.Unmarshal(c.Body, &m)
		} else {
			_ = json.Unmarshal(c.Body, &m)
		}
		for k, v := range m {
			keep(k, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	// Leading acronyms are lowered whole, as CloudTrail writes dBInstanceIdentifier.
	return strings.ToLower(s[:1]) + s[1:]
}

// Resource types, as CloudTrail names them.
const (
	ctTypeSecret     = "AWS::SecretsManager::Secret"
	ctTypeDBInstance = "AWS::RDS::DBInstance"
	ctTypeAlarm      = "AWS::CloudWatch::Alarm"
)

// ctResources names what a call is about by ARN: the secret (a name or
// partial ARN resolved to the full ARN, as CloudTrail records it), the
// DB instance, the alarms. A secret that does not exist is named by the
// id the caller gave.
func (s *Server) ctResources(c *Call) []ctResource {
	sc, err := s.scopeOf(c)
	if err != nil {
		return nil
	}
	switch c.Service {
	case svcSecretsManager:
		var in struct {
			SecretId     string   `json:"SecretId"`
			Name         string   `json:"Name"`
			SecretIdList []string `json:"SecretIdList"`
		}
		_ = json.Unmarshal(c.Body, &in)
		ids := in.SecretIdList
		if id := firstNonEmptyString(in.SecretId, in.Name); id != "" {
			ids = []string{id}
		}
		if c.Op == "ListSecrets" || c.Op == "GetRandomPassword" {
			return nil
		}
		out := make([]ctResource, 0, len(ids))
		for _, id := range ids {
			out = append(out, ctResource{Type: ctTypeSecret, ARN: sc.sm.ctSecretARN(id)})
		}
		return out
	case svcRDS:
		id := firstNonEmptyString(c.Form.Get("DBInstanceIdentifier"), c.Form.Get("ResourceName"))
		if id == "" || strings.Contains(c.Op, "ParameterGroup") {
			return nil
		}
		if !strings.HasPrefix(id, "arn:") {
			id = sc.rds.instanceARN(strings.ToLower(id))
		}
		return []ctResource{{Type: ctTypeDBInstance, ARN: id}}
	case svcCloudWatch:
		var in cwAuthzInput
		_ = cwDecodeInput(c, &in)
		names := in.AlarmNames
		if in.AlarmName != "" {
			names = []string{in.AlarmName}
		}
		if name, ok := strings.CutPrefix(in.ResourceARN, s.cw.alarmARN("")); ok && name != "" {
			names = []string{name}
		}
		out := make([]ctResource, 0, len(names))
		for _, n := range names {
			out = append(out, ctResource{Type: ctTypeAlarm, ARN: sc.cw.alarmARN(n)})
		}
		return out
	}
	return nil
}

// ctResolved says whether every secret named resolved to an ARN.
func ctResolved(rs []ctResource) bool {
	for _, r := range rs {
		if !strings.HasPrefix(r.ARN, "arn:") {
			return false
		}
	}
	return len(rs) > 0
}

// ctSecretARN is the full ARN of the secret an id names, or the id when
// no secret has it.
func (sm *secretsManager) ctSecretARN(id string) string {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sec, err := sm.lookupLocked(id); err == nil {
		return sec.ARN
	}
	return id
}

func firstNonEmptyString(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// ctSafeResponse are the answer's members a Secrets Manager write's event
// keeps: what was changed, never a value (GetRandomPassword is a read).
var ctSafeResponse = setOf("ARN", "Name", "VersionId", "VersionStages", "DeletionDate")

// ctResponseElements is null for reads and for other services' answers,
// as CloudTrail writes it for most of them, and for a Secrets Manager
// write the whitelisted ids of what it changed.
func ctResponseElements(c *Call, result any) map[string]any {
	if result == nil || c.Service != svcSecretsManager || ctReadOnly(c.Op) || c.Op == "GetRandomPassword" {
		return nil
	}
	b, err := json.Marshal(result)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range m {
		if ctSafeResponse[k] && v != nil {
			out[lowerFirst(k)] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
