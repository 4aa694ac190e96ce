package localaws

// Request and response shapes of the CloudWatch operations served. Field
// names are the Smithy member names, which all three protocols share: json
// tags drive awsJson1_0 and (through fxamacker/cbor's json fallback) RPC v2
// CBOR, the awsQuery form decoder reads the same tags, and xml tags give
// awsQuery's <member> lists. Optional members are pointers or omitempty so
// absent stays absent on the wire.

type cwDimension struct {
	Name  string `json:"Name" xml:"Name"`
	Value string `json:"Value" xml:"Value"`
}

type cwStatisticSet struct {
	SampleCount *float64 `json:"SampleCount,omitempty"`
	Sum         *float64 `json:"Sum,omitempty"`
	Minimum     *float64 `json:"Minimum,omitempty"`
	Maximum     *float64 `json:"Maximum,omitempty"`
}

type cwMetricDatum struct {
	MetricName        string          `json:"MetricName"`
	Dimensions        []cwDimension   `json:"Dimensions"`
	Timestamp         *cwTime         `json:"Timestamp"`
	Value             *float64        `json:"Value"`
	StatisticValues   *cwStatisticSet `json:"StatisticValues"`
	Values            []float64       `json:"Values"`
	Counts            []float64       `json:"Counts"`
	Unit              string          `json:"Unit"`
	StorageResolution *int32          `json:"StorageResolution"`
}

// cwEntityMetricData is the newer way to send datums tied to an entity; the
// entity itself is not modelled here, the datums are stored as usual.
type cwEntityMetricData struct {
	MetricData []cwMetricDatum `json:"MetricData"`
}

type putMetricDataInput struct {
	Namespace        string               `json:"Namespace"`
	MetricData       []cwMetricDatum      `json:"MetricData"`
	EntityMetricData []cwEntityMetricData `json:"EntityMetricData"`
}

// cwMetric names one metric; it is both input (MetricStat) and output
// (ListMetrics).
type cwMetric struct {
	Namespace  string        `json:"Namespace,omitempty" xml:"Namespace,omitempty"`
	MetricName string        `json:"MetricName,omitempty" xml:"MetricName,omitempty"`
	Dimensions []cwDimension `json:"Dimensions,omitempty" xml:"Dimensions>member,omitempty"`
}

type cwMetricStat struct {
	Metric *cwMetric `json:"Metric,omitempty" xml:"Metric,omitempty"`
	Period *int32    `json:"Period,omitempty" xml:"Period,omitempty"`
	Stat   string    `json:"Stat,omitempty" xml:"Stat,omitempty"`
	Unit   string    `json:"Unit,omitempty" xml:"Unit,omitempty"`
}

// cwMetricDataQuery is input to GetMetricData and PutMetricAlarm, and output
// of DescribeAlarms for alarms created with Metrics.
type cwMetricDataQuery struct {
	Id         string        `json:"Id" xml:"Id"`
	MetricStat *cwMetricStat `json:"MetricStat,omitempty" xml:"MetricStat,omitempty"`
	Expression string        `json:"Expression,omitempty" xml:"Expression,omitempty"`
	Label      string        `json:"Label,omitempty" xml:"Label,omitempty"`
	ReturnData *bool         `json:"ReturnData,omitempty" xml:"ReturnData,omitempty"`
	Period     *int32        `json:"Period,omitempty" xml:"Period,omitempty"`
	AccountId  string        `json:"AccountId,omitempty" xml:"AccountId,omitempty"`
}

type getMetricDataInput struct {
	MetricDataQueries []cwMetricDataQuery `json:"MetricDataQueries"`
	StartTime         *cwTime             `json:"StartTime"`
	EndTime           *cwTime             `json:"EndTime"`
	NextToken         string              `json:"NextToken"`
	ScanBy            string              `json:"ScanBy"`
	MaxDatapoints     *int32              `json:"MaxDatapoints"`
}

type cwMetricDataResult struct {
	Id         string    `json:"Id" xml:"Id"`
	Label      string    `json:"Label" xml:"Label"`
	Timestamps []cwTime  `json:"Timestamps" xml:"Timestamps>member"`
	Values     []float64 `json:"Values" xml:"Values>member"`
	StatusCode string    `json:"StatusCode" xml:"StatusCode"`
}

type getMetricDataOutput struct {
	MetricDataResults []cwMetricDataResult `json:"MetricDataResults" xml:"MetricDataResults>member"`
	NextToken         string               `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

type getMetricStatisticsInput struct {
	Namespace          string        `json:"Namespace"`
	MetricName         string        `json:"MetricName"`
	Dimensions         []cwDimension `json:"Dimensions"`
	StartTime          *cwTime       `json:"StartTime"`
	EndTime            *cwTime       `json:"EndTime"`
	Period             *int32        `json:"Period"`
	Statistics         []string      `json:"Statistics"`
	ExtendedStatistics []string      `json:"ExtendedStatistics"`
	Unit               string        `json:"Unit"`
}

type cwDatapoint struct {
	Timestamp          *cwTime    `json:"Timestamp,omitempty" xml:"Timestamp,omitempty"`
	SampleCount        *float64   `json:"SampleCount,omitempty" xml:"SampleCount,omitempty"`
	Average            *float64   `json:"Average,omitempty" xml:"Average,omitempty"`
	Sum                *float64   `json:"Sum,omitempty" xml:"Sum,omitempty"`
	Minimum            *float64   `json:"Minimum,omitempty" xml:"Minimum,omitempty"`
	Maximum            *float64   `json:"Maximum,omitempty" xml:"Maximum,omitempty"`
	Unit               string     `json:"Unit,omitempty" xml:"Unit,omitempty"`
	ExtendedStatistics cwStatsMap `json:"ExtendedStatistics,omitempty" xml:"ExtendedStatistics,omitempty"`
}

type getMetricStatisticsOutput struct {
	Label      string        `json:"Label" xml:"Label"`
	Datapoints []cwDatapoint `json:"Datapoints" xml:"Datapoints>member"`
}

type cwDimensionFilter struct {
	Name  string  `json:"Name"`
	Value *string `json:"Value"`
}

type listMetricsInput struct {
	Namespace      string              `json:"Namespace"`
	MetricName     string              `json:"MetricName"`
	Dimensions     []cwDimensionFilter `json:"Dimensions"`
	NextToken      string              `json:"NextToken"`
	RecentlyActive string              `json:"RecentlyActive"`
}

type listMetricsOutput struct {
	Metrics   []cwListedMetric `json:"Metrics" xml:"Metrics>member"`
	NextToken string           `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

type cwTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type putMetricAlarmInput struct {
	AlarmName                        string              `json:"AlarmName"`
	AlarmDescription                 string              `json:"AlarmDescription"`
	ActionsEnabled                   *bool               `json:"ActionsEnabled"`
	OKActions                        []string            `json:"OKActions"`
	AlarmActions                     []string            `json:"AlarmActions"`
	InsufficientDataActions          []string            `json:"InsufficientDataActions"`
	MetricName                       string              `json:"MetricName"`
	Namespace                        string              `json:"Namespace"`
	Statistic                        string              `json:"Statistic"`
	ExtendedStatistic                string              `json:"ExtendedStatistic"`
	Dimensions                       []cwDimension       `json:"Dimensions"`
	Period                           *int32              `json:"Period"`
	Unit                             string              `json:"Unit"`
	EvaluationPeriods                *int32              `json:"EvaluationPeriods"`
	DatapointsToAlarm                *int32              `json:"DatapointsToAlarm"`
	Threshold                        *float64            `json:"Threshold"`
	ComparisonOperator               string              `json:"ComparisonOperator"`
	TreatMissingData                 string              `json:"TreatMissingData"`
	EvaluateLowSampleCountPercentile string              `json:"EvaluateLowSampleCountPercentile"`
	Metrics                          []cwMetricDataQuery `json:"Metrics"`
	ThresholdMetricId                string              `json:"ThresholdMetricId"`
	Tags                             []cwTag             `json:"Tags"`
}

type describeAlarmsInput struct {
	AlarmNames      []string `json:"AlarmNames"`
	AlarmNamePrefix string   `json:"AlarmNamePrefix"`
	AlarmTypes      []string `json:"AlarmTypes"`
	StateValue      string   `json:"StateValue"`
	ActionPrefix    string   `json:"ActionPrefix"`
	MaxRecords      *int32   `json:"MaxRecords"`
	NextToken       string   `json:"NextToken"`
}

// cwMetricAlarm is the MetricAlarm shape DescribeAlarms returns.
type cwMetricAlarm struct {
	AlarmName                          string              `json:"AlarmName" xml:"AlarmName"`
	AlarmArn                           string              `json:"AlarmArn" xml:"AlarmArn"`
	AlarmDescription                   string              `json:"AlarmDescription,omitempty" xml:"AlarmDescription,omitempty"`
	AlarmConfigurationUpdatedTimestamp *cwTime             `json:"AlarmConfigurationUpdatedTimestamp,omitempty" xml:"AlarmConfigurationUpdatedTimestamp,omitempty"`
	ActionsEnabled                     bool                `json:"ActionsEnabled" xml:"ActionsEnabled"`
	OKActions                          []string            `json:"OKActions" xml:"OKActions>member"`
	AlarmActions                       []string            `json:"AlarmActions" xml:"AlarmActions>member"`
	InsufficientDataActions            []string            `json:"InsufficientDataActions" xml:"InsufficientDataActions>member"`
	StateValue                         string              `json:"StateValue" xml:"StateValue"`
	StateReason                        string              `json:"StateReason,omitempty" xml:"StateReason,omitempty"`
	StateReasonData                    string              `json:"StateReasonData,omitempty" xml:"StateReasonData,omitempty"`
	StateUpdatedTimestamp              *cwTime             `json:"StateUpdatedTimestamp,omitempty" xml:"StateUpdatedTimestamp,omitempty"`
	StateTransitionedTimestamp         *cwTime             `json:"StateTransitionedTimestamp,omitempty" xml:"StateTransitionedTimestamp,omitempty"`
	MetricName                         string              `json:"MetricName,omitempty" xml:"MetricName,omitempty"`
	Namespace                          string              `json:"Namespace,omitempty" xml:"Namespace,omitempty"`
	Statistic                          string              `json:"Statistic,omitempty" xml:"Statistic,omitempty"`
	ExtendedStatistic                  string              `json:"ExtendedStatistic,omitempty" xml:"ExtendedStatistic,omitempty"`
	Dimensions                         []cwDimension       `json:"Dimensions" xml:"Dimensions>member"`
	Period                             *int32              `json:"Period,omitempty" xml:"Period,omitempty"`
	Unit                               string              `json:"Unit,omitempty" xml:"Unit,omitempty"`
	EvaluationPeriods                  int32               `json:"EvaluationPeriods" xml:"EvaluationPeriods"`
	DatapointsToAlarm                  *int32              `json:"DatapointsToAlarm,omitempty" xml:"DatapointsToAlarm,omitempty"`
	Threshold                          *float64            `json:"Threshold,omitempty" xml:"Threshold,omitempty"`
	ComparisonOperator                 string              `json:"ComparisonOperator" xml:"ComparisonOperator"`
	TreatMissingData                   string              `json:"TreatMissingData,omitempty" xml:"TreatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile   string              `json:"EvaluateLowSampleCountPercentile,omitempty" xml:"EvaluateLowSampleCountPercentile,omitempty"`
	Metrics                            []cwMetricDataQuery `json:"Metrics,omitempty" xml:"Metrics>member,omitempty"`
	ThresholdMetricId                  string              `json:"ThresholdMetricId,omitempty" xml:"ThresholdMetricId,omitempty"`
}

type describeAlarmsOutput struct {
	MetricAlarms    []cwMetricAlarm `json:"MetricAlarms" xml:"MetricAlarms>member"`
	CompositeAlarms []struct{}      `json:"CompositeAlarms" xml:"CompositeAlarms>member"`
	NextToken       string          `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

type setAlarmStateInput struct {
	AlarmName       string `json:"AlarmName"`
	StateValue      string `json:"StateValue"`
	StateReason     string `json:"StateReason"`
	StateReasonData string `json:"StateReasonData"`
}

type deleteAlarmsInput struct {
	AlarmNames []string `json:"AlarmNames"`
}
