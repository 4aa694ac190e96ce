package localaws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The dashboard body is checked the way CloudWatch checks it (API
// reference, "Dashboard Body Structure and Syntax"): a JSON object with a
// widgets array (which may be empty), each widget an object of a known
// type with its properties, on a grid 24 units wide. CloudWatch reports
// every problem at once, as JSON-schema messages with the JSON path of
// each, so a caller fixes them in one go; localaws does the same for the
// rules it knows and accepts what it does not model (colours, annotations,
// the content of metric arrays beyond their shape).

const (
	// cwMaxDashboardBody is AWS's documented 1 MB limit on DashboardBody.
	cwMaxDashboardBody = 1 << 20
	// cwMaxDashboardWidgets is AWS's limit on widgets per dashboard.
	cwMaxDashboardWidgets = 2500
	cwDashboardGridWidth  = 24
)

var cwWidgetTypes = []string{"metric", "text", "log", "alarm", "explorer", "custom"}

// cwWidgetGrid is where a widget may sit: x within the 24 columns, any
// row, 1 to 24 wide and 1 to 1000 high.
var cwWidgetGrid = []struct {
	key      string
	min, max float64
}{{"x", 0, cwDashboardGridWidth - 1}, {"y", 0, 1 << 30}, {"width", 1, cwDashboardGridWidth}, {"height", 1, 1000}}

func cwValidDashboardBody(body string) *APIError {
	if body == "" {
		return cwMissing("DashboardBody")
	}
	if len(body) > cwMaxDashboardBody {
		return cwDashboardInvalid(fmt.Sprintf("The field DashboardBody must be %d bytes or less.", cwMaxDashboardBody), nil)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc == nil {
		return cwDashboardInvalid("The field DashboardBody must be a valid JSON object",
			[]cwDashboardMessage{{DataPath: "", Message: "Should be object"}})
	}
	msgs := cwCheckDashboard(doc)
	if len(msgs) == 0 {
		return nil
	}
	return cwDashboardInvalid(cwDashboardSummary(msgs), msgs)
}

// cwDashboardSummary is the error message CloudWatch gives with the
// validation messages: their count and the list, as JSON.
func cwDashboardSummary(msgs []cwDashboardMessage) string {
	type item struct {
		DataPath string `json:"dataPath"`
		Message  string `json:"message"`
	}
	items := make([]item, len(msgs))
	for i, m := range msgs {
		items[i] = item(m)
	}
	list, _ := json.MarshalIndent(items, "", " ")
	return fmt.Sprintf("The dashboard body is invalid, there are %d validation errors:\n%s", len(msgs), list)
}

func cwCheckDashboard(doc map[string]json.RawMessage) []cwDashboardMessage {
	var msgs []cwDashboardMessage
	add := func(path, format string, args ...any) {
		msgs = append(msgs, cwDashboardMessage{DataPath: path, Message: fmt.Sprintf(format, args...)})
	}
	raw, ok := doc["widgets"]
	if !ok {
		add("", "Should have required property 'widgets'")
		return msgs
	}
	var widgets []json.RawMessage
	if cwJSONKind(raw) != '[' || json.Unmarshal(raw, &widgets) != nil {
		add("/widgets", "Should be array")
		return msgs
	}
	if len(widgets) > cwMaxDashboardWidgets {
		add("/widgets", "Should NOT have more than %d items", cwMaxDashboardWidgets)
	}
	for i, w := range widgets {
		cwCheckWidget("/widgets/"+strconv.Itoa(i), w, add)
	}
	for _, key := range []string{"start", "end", "periodOverride"} {
		if v, ok := doc[key]; ok && cwJSONKind(v) != '"' {
			add("/"+key, "Should be string")
		}
	}
	return msgs
}

func cwCheckWidget(path string, raw json.RawMessage, add func(path, format string, args ...any)) {
	var w map[string]json.RawMessage
	if cwJSONKind(raw) != '{' || json.Unmarshal(raw, &w) != nil {
		add(path, "Should be object")
		return
	}
	var typ string
	if t, ok := w["type"]; !ok {
		add(path, "Should have required property 'type'")
	} else if json.Unmarshal(t, &typ) != nil || !slices.Contains(cwWidgetTypes, typ) {
		add(path+"/type", "Should be equal to one of the allowed values: %s", strings.Join(cwWidgetTypes, ", "))
	}
	for _, g := range cwWidgetGrid {
		v, ok := w[g.key]
		if !ok {
			continue
		}
		var n float64
		if json.Unmarshal(v, &n) != nil || n != float64(int64(n)) {
			add(path+"/"+g.key, "Should be integer")
		} else if n < g.min || n > g.max {
			add(path+"/"+g.key, "Should be between %g and %g", g.min, g.max)
		}
	}
	props, ok := w["properties"]
	if !ok {
		add(path, "Should have required property 'properties'")
		return
	}
	var p map[string]json.RawMessage
	if cwJSONKind(props) != '{' || json.Unmarshal(props, &p) != nil {
		add(path+"/properties", "Should be object")
		return
	}
	switch typ {
	case "text":
		if v, ok := p["markdown"]; !ok {
			add(path+"/properties", "Should have required property 'markdown'")
		} else if cwJSONKind(v) != '"' {
			add(path+"/properties/markdown", "Should be string")
		}
	case "metric":
		cwCheckMetricWidget(path+"/properties", p, add)
	}
}

// cwCheckMetricWidget checks what a metric widget needs to draw anything:
// its Region, and metrics as an array of arrays (each a namespace, name,
// dimension pairs and an optional rendering object) or an expression.
func cwCheckMetricWidget(path string, p map[string]json.RawMessage, add func(path, format string, args ...any)) {
	if v, ok := p["region"]; !ok {
		add(path, "Should have required property 'region'")
	} else if cwJSONKind(v) != '"' {
		add(path+"/region", "Should be string")
	}
	if v, ok := p["stat"]; ok && cwJSONKind(v) != '"' {
		add(path+"/stat", "Should be string")
	}
	if v, ok := p["period"]; ok {
		var n float64
		if json.Unmarshal(v, &n) != nil || n < 1 || n != float64(int64(n)) {
			add(path+"/period", "Should be integer >= 1")
		}
	}
	raw, ok := p["metrics"]
	if !ok {
		return
	}
	var metrics []json.RawMessage
	if cwJSONKind(raw) != '[' || json.Unmarshal(raw, &metrics) != nil {
		add(path+"/metrics", "Should be array")
		return
	}
	for i, m := range metrics {
		mp := path + "/metrics/" + strconv.Itoa(i)
		var items []json.RawMessage
		if cwJSONKind(m) != '[' || json.Unmarshal(m, &items) != nil {
			add(mp, "Should be array")
			continue
		}
		if len(items) == 0 {
			add(mp, "Should NOT have fewer than 1 items")
		}
		for j, it := range items {
			k := cwJSONKind(it)
			last := j == len(items)-1
			if k != '"' && !(last && k == '{') {
				add(mp+"/"+strconv.Itoa(j), "Should be string")
			}
		}
	}
}

// cwJSONKind is the first byte of a JSON value: '{', '[', '"', or another
// for numbers, booleans and null.
func cwJSONKind(raw json.RawMessage) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}
