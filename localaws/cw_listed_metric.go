package localaws

// cwListedMetric is a metric as ListMetrics returns it. Unlike cwMetric (a
// query's input, where absent means absent), CloudWatch always sends
// Dimensions here, as an empty list for a metric without dimensions
// (`"Dimensions": []` in JSON and CBOR, `<Dimensions/>` in awsQuery), and
// callers that index into it or compare it with a filter rely on that.
type cwListedMetric struct {
	Namespace  string          `json:"Namespace" xml:"Namespace"`
	MetricName string          `json:"MetricName" xml:"MetricName"`
	Dimensions []cwDimension   `json:"Dimensions" xml:"-"`
	XMLDims    cwXMLDimensions `json:"-" xml:"Dimensions"`
}

// cwXMLDimensions is a struct, not a `Dimensions>member` path, because
// encoding/xml leaves out the parent of an empty path altogether.
type cwXMLDimensions struct {
	Members []cwDimension `xml:"member"`
}

// cwListed builds the entry of one series; the slice is never nil, so JSON
// and CBOR encode an empty list rather than null.
func cwListed(namespace, name string, dims []cwDimension) cwListedMetric {
	d := append([]cwDimension{}, dims...)
	return cwListedMetric{Namespace: namespace, MetricName: name, Dimensions: d, XMLDims: cwXMLDimensions{Members: d}}
}
