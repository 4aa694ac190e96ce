//go:build conformance

package main

func cwVerdicts() []verdict {
	v := func(id string, k kind, why string, paths ...string) verdict {
		return verdict{caseID: id, paths: paths, kind: k, why: why}
	}
	const label = "per AWS's documentation: a MetricStat query without Label is labelled with the metric's name (the CLI reference's get-metric-data example shows \"Label\": \"CPUUtilization\"); moto appends the statistic"
	const firstEvaluation = "a new alarm's first evaluation time and its StateReason text are not defined by AWS (alarms start in INSUFFICIENT_DATA and are evaluated within a period); StateValue agrees"
	return []verdict{
		v("cw/put-get-list-metrics", motoWrong, "per AWS's documentation: ListMetrics lists each metric (namespace, name, dimensions) once; moto lists a metric once per PutMetricData datum", "2:ok.Metrics*", "4:ok.Metrics*"),
		v("cw/put-get-list-metrics", motoWrong, label, "5:ok.MetricDataResults*"),
		v("cw/put-values-counts", motoWrong, label, "2:ok.MetricDataResults*"),
		v("cw/get-metric-data-order", motoWrong, label, "2:ok.MetricDataResults*", "3:ok.MetricDataResults*"),
		v("cw/put-statistic-values", motoWrong, label, "2:ok.MetricDataResults*"),
		v("cw/describe-alarms-by-type", irrelevant, firstEvaluation, "2:ok.MetricAlarms[0].State*"),
		v("cw/describe-alarms-by-type", motoWrong, "per AWS's documentation: DescribeAlarms' AlarmTypes chooses \"whether you want the operation to return metric alarms or composite alarms\" (API reference); moto returns the metric alarm for AlarmTypes=[CompositeAlarm]", "3:*"),
		v("cw/get-metric-data-expression", motoWrong, label, "2:ok.MetricDataResults[0].Label", "2:ok.MetricDataResults[2].Label"),
		v("cw/get-metric-data-expression", motoWrong, "per AWS's documentation: GetMetricData evaluates metric math (MetricDataQuery.Expression, API reference \"Using metric math\"): f / (f + s) of 2 and 6 is 0.25; moto answers no value", "2:ok.MetricDataResults[1]*"),
		v("cw/put-metric-data-aws-namespace", motoWrong, "per AWS's documentation: PutMetricData's Namespace must not begin with \"AWS/\" (reserved for AWS services, API reference); moto accepts it", "1:*"),
		v("cw/put-metric-data-too-many-dimensions", motoWrong, "per AWS's documentation: MetricDatum.Dimensions holds at most 30 items (API reference); moto accepts 31", "1:*"),
		v("cw/put-metric-data-no-data", motoWrong, "per AWS's documentation: PutMetricData's MetricData is required (MissingParameter in its error list, botocore's MissingRequiredParameterException); moto accepts a call without it", "1:*"),
		v("cw/get-metric-data-duplicate-ids", motoWrong, "per AWS's documentation: MetricDataQuery.Id \"must be unique within a single GetMetricData call\" (API reference); moto answers both", "1:*"),
		v("cw/get-metric-data-bad-id", motoWrong, "per AWS's documentation: MetricDataQuery.Id: \"The first character must be a lowercase letter\" (API reference); moto accepts \"Upper\"", "1:*"),
		v("cw/get-metric-data-start-after-end", motoWrong, "per AWS's documentation: StartTime must be earlier than EndTime (GetMetricData API reference); AWS answers InvalidParameterValue as for GetMetricStatistics, moto a ValidationError whose message is \"UnknownError\"", "1:error"),
		v("cw/alarm-put-describe", irrelevant, firstEvaluation, "2:ok.MetricAlarms[0].State*", "3:ok.MetricAlarms[0].State*"),
		v("cw/alarm-put-describe", motoWrong, "per AWS's documentation: DescribeAlarms' StateValue \"Specify this parameter to receive information only about alarms that are currently in the state that you specify\" (API reference); moto ignores it and returns an OK alarm for StateValue=ALARM", "4:*"),
		v("cw/alarm-update", irrelevant, firstEvaluation, "3:ok.MetricAlarms[0].State*"),
		v("cw/alarm-bad-operator", motoWrong, "per AWS's documentation: ComparisonOperator is an enum (GreaterThanOrEqualToThreshold, ...; API reference); moto stores \"Bigger\"", "1:*"),
		v("cw/alarm-bad-period", motoWrong, "per AWS's documentation: PutMetricAlarm's Period: \"Valid values are 10, 20, 30, and any multiple of 60\" (API reference); moto accepts 45", "1:*"),
		v("cw/alarm-statistic-and-extended", motoWrong, "per AWS's documentation: PutMetricAlarm takes Statistic or ExtendedStatistic, not both (API reference, \"you must specify either Statistic or ExtendedStatistic, but not both\"); moto accepts both", "1:*"),
		v("cw/alarm-bad-treat-missing", motoWrong, "per AWS's documentation: TreatMissingData's valid values are breaching, notBreaching, ignore and missing (API reference); moto stores \"sometimes\"", "1:*"),
		v("cw/dashboard-missing", irrelevant, wording, "1:error.Message", "2:error.Message"),
		v("cw/dashboard-invalid-body", irrelevant, wording, "1:error.Message"),
		v("cw/dashboard-invalid-body", motoWrong, "per AWS's documentation: a widget's type is one of metric, text, log, alarm, explorer (CloudWatch \"Dashboard Body Structure and Syntax\"), a bad body is DashboardInvalidInputError (PutDashboard's error list); moto stores a \"chart\" widget", "2:*"),
		v("cw/dashboard-invalid-name", motoWrong, "per AWS's documentation: PutDashboard's DashboardName: \"Valid characters are A–Z, a–z, 0–9, \\\"-\\\", and \\\"_\\\"\" (API reference); moto accepts \"bad name!\"", "1:*"),
	}
}
