package localaws

// What a CloudWatch call needs: metric operations have no resource-level
// permissions ("*"; PutMetricData carries cloudwatch:namespace), alarm
// operations name arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME, one
// request per alarm a call names (arn:...:alarm:* for DescribeAlarms
// without names). Dashboard operations name
// arn:aws:cloudwatch::ACCOUNT:dashboard/NAME (no Region: dashboards are
// global), one request per dashboard; ListDashboards has no resource.
// TagResource, UntagResource and ListTagsForResource name their
// ResourceARN; DescribeAlarmsForMetric has no resource-level permissions.

// cwAuthzInput holds the members, in any of the three protocols, that
// decide resources and condition keys.
type cwAuthzInput struct {
	Namespace  string   `json:"Namespace"`
	AlarmName  string   `json:"AlarmName"`
	AlarmNames []string `json:"AlarmNames"`
	Tags       []cwTag  `json:"Tags"`

	// ResourceARN and TagKeys are the tag operations'.
	ResourceARN string   `json:"ResourceARN"`
	TagKeys     []string `json:"TagKeys"`

	DashboardName  string   `json:"DashboardName"`
	DashboardNames []string `json:"DashboardNames"`
}

func (cw *cloudWatch) authzRequests(c *Call, base condContext) []authzRequest {
	var in cwAuthzInput
	// A body that does not decode is refused by the handler afterwards.
	_ = cwDecodeInput(c, &in)
	ctx := base.clone()
	withRequestTags(ctx, in.Tags, cwTag.kv)
	action := c.action()
	var names []string
	switch c.Op {
	case "PutMetricData":
		ctx.set("cloudwatch:namespace", in.Namespace)
		return []authzRequest{{action: action, resource: "*", context: ctx}}
	case "PutMetricAlarm", "SetAlarmState":
		names = []string{in.AlarmName}
	case "DescribeAlarms", "DeleteAlarms":
		names = in.AlarmNames
		if len(names) == 0 {
			names = []string{"*"}
		}
	case "TagResource", "UntagResource", "ListTagsForResource":
		// The ARN as given: one of no alarm is refused by the handler
		// (ResourceNotFoundException) once allowed.
		if c.Op == "UntagResource" && len(in.TagKeys) > 0 {
			ctx.set("aws:TagKeys", in.TagKeys...)
		}
		arn := in.ResourceARN
		if arn == "" {
			arn = "*"
		}
		return []authzRequest{{action: action, resource: arn, shown: arn, context: ctx}}
	case "PutDashboard", "GetDashboard":
		return cw.dashboardRequests(action, ctx, []string{in.DashboardName})
	case "DeleteDashboards":
		return cw.dashboardRequests(action, ctx, in.DashboardNames)
	default:
		return []authzRequest{{action: action, resource: "*", context: ctx}}
	}
	reqs := make([]authzRequest, 0, len(names))
	for _, n := range names {
		arn := cw.alarmARN(n)
		reqs = append(reqs, authzRequest{action: action, resource: arn, shown: arn, context: ctx})
	}
	return reqs
}

func (cw *cloudWatch) alarmARN(name string) string {
	return cw.env.arn("cloudwatch", "alarm:"+name)
}

func (cw *cloudWatch) dashboardRequests(action string, ctx condContext, names []string) []authzRequest {
	if len(names) == 0 {
		// Refused by the handler (MissingParameter) once allowed at all.
		names = []string{"*"}
	}
	reqs := make([]authzRequest, 0, len(names))
	for _, n := range names {
		arn := cw.dashboardARN(n)
		reqs = append(reqs, authzRequest{action: action, resource: arn, shown: arn, context: ctx})
	}
	return reqs
}
