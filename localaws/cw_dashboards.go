package localaws

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// Dashboards are stored as given: CloudWatch keeps the body a caller put
// byte for byte (GetDashboard returns it unchanged), so a tool that puts a
// dashboard and reads it back can compare strings to see whether it
// drifted. Dashboards are global on AWS, not regional: their ARN has no
// Region.

const (
	cwMaxDashboardName  = 255
	cwListDashboardPage = 1000
	// cwMaxDashboards is localaws's own bound; AWS allows as many as an
	// account needs now (it once allowed 500).
	cwMaxDashboards = 10_000
)

type cwDashboard struct {
	Name         string    `json:"name"`
	Body         string    `json:"body"`
	LastModified time.Time `json:"lastModified"`
}

type putDashboardInput struct {
	DashboardName string `json:"DashboardName"`
	DashboardBody string `json:"DashboardBody"`
}

// cwDashboardMessage is the DashboardValidationMessage shape.
type cwDashboardMessage struct {
	DataPath string `json:"DataPath,omitempty" xml:"DataPath,omitempty"`
	Message  string `json:"Message,omitempty" xml:"Message,omitempty"`
}

type putDashboardOutput struct {
	DashboardValidationMessages []cwDashboardMessage `json:"DashboardValidationMessages" xml:"DashboardValidationMessages>member"`
}

type getDashboardInput struct {
	DashboardName string `json:"DashboardName"`
}

type getDashboardOutput struct {
	DashboardArn  string `json:"DashboardArn" xml:"DashboardArn"`
	DashboardBody string `json:"DashboardBody" xml:"DashboardBody"`
	DashboardName string `json:"DashboardName" xml:"DashboardName"`
}

type listDashboardsInput struct {
	DashboardNamePrefix string `json:"DashboardNamePrefix"`
	NextToken           string `json:"NextToken"`
}

type cwDashboardEntry struct {
	DashboardName string  `json:"DashboardName" xml:"DashboardName"`
	DashboardArn  string  `json:"DashboardArn" xml:"DashboardArn"`
	LastModified  *cwTime `json:"LastModified" xml:"LastModified"`
	Size          int64   `json:"Size" xml:"Size"`
}

type listDashboardsOutput struct {
	DashboardEntries []cwDashboardEntry `json:"DashboardEntries" xml:"DashboardEntries>member"`
	NextToken        string             `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

type deleteDashboardsInput struct {
	DashboardNames []string `json:"DashboardNames"`
}

// cwDashboardInvalid is DashboardInvalidInputError (query code
// InvalidParameterInput), with the validation messages in its body as the
// SDKs read them.
func cwDashboardInvalid(message string, msgs []cwDashboardMessage) *APIError {
	e := cwError(http.StatusBadRequest, "InvalidParameterInput", "DashboardInvalidInputError", "%s", message)
	if len(msgs) > 0 {
		e.Members = map[string]any{"dashboardValidationMessages": msgs}
	}
	return e
}

func cwDashboardNotFound(name string) *APIError {
	return cwError(http.StatusNotFound, "ResourceNotFound", "DashboardNotFoundError", "Dashboard %s does not exist", name)
}

// cwValidDashboardName applies AWS's rule: 1 to 255 of A-Z a-z 0-9 - _.
func cwValidDashboardName(name string) *APIError {
	if name == "" {
		return cwMissing("DashboardName")
	}
	if len(name) > cwMaxDashboardName {
		return cwDashboardInvalid("The value for field DashboardName must be 255 characters or less.", nil)
	}
	for _, r := range name {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return cwDashboardInvalid("The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).", nil)
		}
	}
	return nil
}

func (cw *cloudWatch) dashboardARN(name string) string {
	return cw.env.globalARN("cloudwatch", "dashboard/"+name)
}

// putDashboard creates or replaces a dashboard. A body with errors is
// refused whole; a stored body is never half-updated.
func (cw *cloudWatch) putDashboard(in *putDashboardInput) (*putDashboardOutput, *APIError) {
	if err := cwValidDashboardName(in.DashboardName); err != nil {
		return nil, err
	}
	if err := cwValidDashboardBody(in.DashboardBody); err != nil {
		return nil, err
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if _, ok := cw.dashboards[in.DashboardName]; !ok && len(cw.dashboards) >= cwMaxDashboards {
		return nil, cwLimitExceeded("localaws keeps at most %d dashboards.", cwMaxDashboards)
	}
	cw.dashboards[in.DashboardName] = &cwDashboard{Name: in.DashboardName, Body: in.DashboardBody, LastModified: cw.now()}
	cw.markDirty()
	return &putDashboardOutput{DashboardValidationMessages: []cwDashboardMessage{}}, nil
}

func (cw *cloudWatch) getDashboard(in *getDashboardInput) (*getDashboardOutput, *APIError) {
	if in.DashboardName == "" {
		return nil, cwMissing("DashboardName")
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	d, ok := cw.dashboards[in.DashboardName]
	if !ok {
		return nil, cwDashboardNotFound(in.DashboardName)
	}
	return &getDashboardOutput{DashboardArn: cw.dashboardARN(d.Name), DashboardBody: d.Body, DashboardName: d.Name}, nil
}

// listDashboards pages in name order; the token is the last name served.
func (cw *cloudWatch) listDashboards(in *listDashboardsInput) (*listDashboardsOutput, *APIError) {
	after := ""
	if in.NextToken != "" {
		pos, err := cwDecodeListToken(in.NextToken)
		if err != nil {
			return nil, err
		}
		after = pos
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	var names []string
	for name := range cw.dashboards {
		if name > after && strings.HasPrefix(name, in.DashboardNamePrefix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := &listDashboardsOutput{DashboardEntries: []cwDashboardEntry{}}
	if len(names) > cwListDashboardPage {
		names = names[:cwListDashboardPage]
		out.NextToken = cwEncodeToken(names[len(names)-1])
	}
	for _, name := range names {
		d := cw.dashboards[name]
		out.DashboardEntries = append(out.DashboardEntries, cwDashboardEntry{
			DashboardName: d.Name, DashboardArn: cw.dashboardARN(d.Name),
			LastModified: cwTimePtr(d.LastModified), Size: int64(len(d.Body)),
		})
	}
	return out, nil
}

// deleteDashboards is all or nothing, as on AWS: one unknown name and
// none is deleted.
func (cw *cloudWatch) deleteDashboards(in *deleteDashboardsInput) (*struct{}, *APIError) {
	if len(in.DashboardNames) == 0 {
		return nil, cwMissing("DashboardNames")
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	for _, name := range in.DashboardNames {
		if _, ok := cw.dashboards[name]; !ok {
			return nil, cwDashboardNotFound(name)
		}
	}
	for _, name := range in.DashboardNames {
		delete(cw.dashboards, name)
	}
	cw.markDirty()
	return nil, nil
}
