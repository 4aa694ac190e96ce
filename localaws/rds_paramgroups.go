package localaws

import (
	"maps"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// DB parameter groups, as far as they change what a client meets: the one
// parameter localaws emulates per family is the TLS switch, rds.force_ssl
// for postgres families (RDS for PostgreSQL 15 and later defaults it to 1)
// and require_secure_transport for mariadb and mysql families (default 0
// on RDS for MariaDB 10.11 and MySQL 8.0). A group's parameters apply at
// once to every instance using it (both are dynamic on RDS too).
// Differences from RDS, kept on purpose: assigning another group to an
// instance also applies at once (RDS waits for a reboot), and other
// parameters are refused rather than stored without effect.

const (
	paramForceSSL               = "rds.force_ssl"
	paramRequireSecureTransport = "require_secure_transport"
)

// rdsParamGroup is one custom DB parameter group as persisted in rds.json.
type rdsParamGroup struct {
	Name        string            `json:"name"`
	Family      string            `json:"family"`
	Description string            `json:"description"`
	Params      map[string]string `json:"params,omitempty"`
}

type xmlParamGroup struct {
	DBParameterGroupName   string `xml:"DBParameterGroupName"`
	DBParameterGroupFamily string `xml:"DBParameterGroupFamily"`
	Description            string `xml:"Description"`
	DBParameterGroupArn    string `xml:"DBParameterGroupArn"`
}

type xmlParamGroupStatus struct {
	DBParameterGroupName string `xml:"DBParameterGroupName"`
	ParameterApplyStatus string `xml:"ParameterApplyStatus"`
}

type xmlParameter struct {
	ParameterName  string `xml:"ParameterName"`
	ParameterValue string `xml:"ParameterValue"`
	Description    string `xml:"Description"`
	Source         string `xml:"Source"`
	ApplyType      string `xml:"ApplyType"`
	DataType       string `xml:"DataType"`
	AllowedValues  string `xml:"AllowedValues"`
	IsModifiable   bool   `xml:"IsModifiable"`
	ApplyMethod    string `xml:"ApplyMethod"`
}

// family is the parameter group family of the PostgreSQL localaws runs.
func (r *rdsService) family() string { return r.familyOf(engineNamePostgres) }

func (r *rdsService) defaultParamGroup() string { return r.defaultParamGroupOf(engineNamePostgres) }

// defaultParamGroupOf is the default group of an engine's family.
func (r *rdsService) defaultParamGroupOf(engine string) string {
	return "default." + r.familyOf(engine)
}

// defaultGroupFamily is the family of a default group's name.
func (r *rdsService) defaultGroupFamily(name string) (string, bool) {
	family, ok := strings.CutPrefix(name, "default.")
	if !ok {
		return "", false
	}
	_, known := r.engineOfFamily(family)
	return family, known
}

// groupEngine is the engine whose TLS switch a group holds.
func (r *rdsService) groupEngine(g *rdsParamGroup) engineSpec {
	e, _ := r.engineOfFamily(g.Family)
	return engineOf(e)
}

var paramGroupName = regexp.MustCompile(`^[a-zA-Z](?:-?[a-zA-Z0-9.])*$`)

// paramGroupLocked finds a group by name; the default group has no record.
func (r *rdsService) paramGroupLocked(name string) (*rdsParamGroup, *APIError) {
	name = strings.ToLower(name)
	if family, ok := r.defaultGroupFamily(name); ok {
		return &rdsParamGroup{Name: name, Family: family, Description: "Default parameter group for " + family}, nil
	}
	if g := r.paramGroups[name]; g != nil {
		return g, nil
	}
	return nil, errNotFound("DBParameterGroupNotFound", "DBParameterGroup not found: "+name)
}

// forceSSLLocked is the TLS switch in effect for an instance:
// rds.force_ssl or require_secure_transport.
func (r *rdsService) forceSSLLocked(in *rdsInstance) bool {
	e := engineOf(in.Engine)
	if g := r.paramGroups[strings.ToLower(in.ParameterGroup)]; g != nil {
		if v, ok := g.Params[e.forceSSLParam]; ok {
			return v == "1"
		}
	}
	return e.forceSSLDefault
}

// paramGroupARN is the ARN of the parameter group named name (stored
// lower-case, as RDS does).
func (r *rdsService) paramGroupARN(name string) string {
	return r.env.arn("rds", "pg:"+strings.ToLower(name))
}

func (r *rdsService) paramGroupView(g *rdsParamGroup) xmlParamGroup {
	return xmlParamGroup{DBParameterGroupName: g.Name, DBParameterGroupFamily: g.Family, Description: g.Description,
		DBParameterGroupArn: r.paramGroupARN(g.Name)}
}

func (r *rdsService) createDBParameterGroup(form url.Values) (any, error) {
	name := strings.ToLower(form.Get("DBParameterGroupName"))
	switch {
	case name == "":
		return nil, errMissing("DBParameterGroupName")
	case len(name) > 255 || !paramGroupName.MatchString(name) || strings.HasSuffix(name, "-"):
		return nil, errInvalidValue("The parameter DBParameterGroupName is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.")
	case form.Get("DBParameterGroupFamily") == "":
		return nil, errMissing("DBParameterGroupFamily")
	case form.Get("Description") == "":
		return nil, errMissing("Description")
	}
	family := strings.ToLower(form.Get("DBParameterGroupFamily"))
	if _, ok := r.engineOfFamily(family); !ok {
		return nil, errInvalidValue("ParameterGroupFamily " + family + " is not a valid parameter group family (localaws runs " +
			r.family() + ", " + r.familyOf(engineNameMariaDB) + " and " + r.familyOf(engineNameMySQL) + ")")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, isDefault := r.defaultGroupFamily(name); r.paramGroups[name] != nil || isDefault {
		return nil, errBadRequest("DBParameterGroupAlreadyExists", "Parameter group "+name+" already exists")
	}
	g := &rdsParamGroup{Name: name, Family: family, Description: form.Get("Description")}
	r.paramGroups[name] = g
	if err := r.saveLocked(); err != nil {
		delete(r.paramGroups, name)
		return nil, err
	}
	return struct {
		DBParameterGroup xmlParamGroup `xml:"DBParameterGroup"`
	}{r.paramGroupView(g)}, nil
}

func (r *rdsService) modifyDBParameterGroup(form url.Values) (any, error) {
	name := strings.ToLower(form.Get("DBParameterGroupName"))
	if name == "" {
		return nil, errMissing("DBParameterGroupName")
	}
	changes := map[string]string{}
	for _, p := range listIndexes(form, "Parameters", "Parameter") {
		pname, value := form.Get(p+".ParameterName"), form.Get(p+".ParameterValue")
		if value != "0" && value != "1" {
			return nil, errInvalidValue("Value: " + value + " is outside of range: 0-1 for parameter: " + pname)
		}
		changes[pname] = value
	}
	if len(changes) == 0 {
		return nil, errMissing("Parameters")
	}
	r.mu.Lock()
	g, aerr := r.paramGroupLocked(name)
	if _, isDefault := r.defaultGroupFamily(name); aerr == nil && isDefault {
		aerr = errInvalidValue("Default parameter groups cannot be modified: " + name)
	}
	if aerr == nil {
		want := r.groupEngine(g).forceSSLParam
		for pname := range changes {
			if pname != want {
				aerr = errInvalidValue("localaws emulates only the parameter " + want + " in family " + g.Family + ", not " + pname)
			}
		}
	}
	if aerr != nil {
		r.mu.Unlock()
		return nil, aerr
	}
	// The change is kept only once it is saved, as a create is: a
	// failed save leaves the group as it was.
	old := g.Params
	g.Params = maps.Clone(old)
	if g.Params == nil {
		g.Params = map[string]string{}
	}
	for k, v := range changes {
		g.Params[k] = v
	}
	err := r.saveLocked()
	if err != nil {
		g.Params = old
	}
	var members []*rdsInstance
	for _, in := range r.instances {
		if strings.EqualFold(in.ParameterGroup, name) {
			members = append(members, in)
		}
	}
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	// Dynamic, as on RDS: new logins follow the new value once this returns.
	for _, in := range members {
		if err := r.applySecurity(in); err != nil {
			return nil, err
		}
	}
	return struct {
		DBParameterGroupName string `xml:"DBParameterGroupName"`
	}{name}, nil
}

func (r *rdsService) deleteDBParameterGroup(form url.Values) (any, error) {
	name := strings.ToLower(form.Get("DBParameterGroupName"))
	if name == "" {
		return nil, errMissing("DBParameterGroupName")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, aerr := r.paramGroupLocked(name); aerr != nil {
		return nil, aerr
	}
	if _, isDefault := r.defaultGroupFamily(name); isDefault {
		return nil, errBadRequest("InvalidDBParameterGroupState", "Default parameter groups cannot be deleted")
	}
	for _, in := range r.instances {
		if strings.EqualFold(in.ParameterGroup, name) {
			return nil, errBadRequest("InvalidDBParameterGroupState", "One or more database instances are still members of this parameter group "+name+", so the group cannot be deleted")
		}
	}
	delete(r.paramGroups, name)
	return struct{}{}, r.saveLocked()
}

func (r *rdsService) describeDBParameterGroups(form url.Values) (any, error) {
	var res struct {
		DBParameterGroups struct {
			Items []xmlParamGroup `xml:"DBParameterGroup"`
		} `xml:"DBParameterGroups"`
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if name := form.Get("DBParameterGroupName"); name != "" {
		g, aerr := r.paramGroupLocked(name)
		if aerr != nil {
			return nil, aerr
		}
		res.DBParameterGroups.Items = append(res.DBParameterGroups.Items, r.paramGroupView(g))
		return res, nil
	}
	def, _ := r.paramGroupLocked(r.defaultParamGroup())
	res.DBParameterGroups.Items = append(res.DBParameterGroups.Items, r.paramGroupView(def))
	names := make([]string, 0, len(r.paramGroups))
	for n := range r.paramGroups {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		res.DBParameterGroups.Items = append(res.DBParameterGroups.Items, r.paramGroupView(r.paramGroups[n]))
	}
	return res, nil
}

// describeDBParameters lists the parameters localaws emulates.
func (r *rdsService) describeDBParameters(form url.Values) (any, error) {
	name := form.Get("DBParameterGroupName")
	if name == "" {
		return nil, errMissing("DBParameterGroupName")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	g, aerr := r.paramGroupLocked(name)
	if aerr != nil {
		return nil, aerr
	}
	e := r.groupEngine(g)
	value, source, description := "0", "engine-default", "A Boolean value that determines whether connections must use a secure transport."
	if e.forceSSLDefault {
		value = "1"
	}
	if e.usesPostgres {
		description = "Force SSL connections."
	}
	if v, ok := g.Params[e.forceSSLParam]; ok {
		value, source = v, "user"
	}
	var res struct {
		Parameters struct {
			Items []xmlParameter `xml:"Parameter"`
		} `xml:"Parameters"`
	}
	res.Parameters.Items = []xmlParameter{{ParameterName: e.forceSSLParam, ParameterValue: value,
		Description: description, Source: source, ApplyType: "dynamic", DataType: "boolean",
		AllowedValues: "0,1", IsModifiable: true, ApplyMethod: "immediate"}}
	return res, nil
}

// instanceParamGroup validates a DBParameterGroupName given to
// CreateDBInstance or ModifyDBInstance; empty means the default group.
// engine is the instance's, "" when not known yet (ModifyDBInstance checks
// the family with groupFitsLocked once it has the instance).
func (r *rdsService) instanceParamGroup(form url.Values, engine string) (string, *APIError) {
	name := strings.ToLower(form.Get("DBParameterGroupName"))
	if name == "" {
		return "", nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, aerr := r.paramGroupLocked(name); aerr != nil {
		return "", aerr
	}
	if engine != "" {
		if aerr := r.groupFitsLocked(name, engine); aerr != nil {
			return "", aerr
		}
	}
	if _, isDefault := r.defaultGroupFamily(name); isDefault {
		return "", nil
	}
	return name, nil
}

// groupFitsLocked checks a group (a custom one, or a default group's
// name) is of the engine's family, as RDS does.
func (r *rdsService) groupFitsLocked(name, engine string) *APIError {
	if name == "" {
		return nil
	}
	g, aerr := r.paramGroupLocked(name)
	if aerr != nil {
		return aerr
	}
	if want := r.familyOf(engine); g.Family != want {
		return errCombination("The parameter group " + name + " with DBParameterGroupFamily " + g.Family +
			" can't be used for this instance. Use a parameter group with DBParameterGroupFamily " + want + ".")
	}
	return nil
}

func (r *rdsService) paramGroupStatusLocked(in *rdsInstance) []xmlParamGroupStatus {
	name := in.ParameterGroup
	if name == "" {
		name = r.defaultParamGroupOf(in.Engine)
	}
	return []xmlParamGroupStatus{{DBParameterGroupName: name, ParameterApplyStatus: "in-sync"}}
}
