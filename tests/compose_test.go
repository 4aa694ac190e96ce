package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/credstage/credstage/activities"
)

// compose is the part of the Compose file format this test checks.
type compose struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string                                `yaml:"image"`
	Build       *composeBuild                         `yaml:"build"`
	DependsOn   map[string]struct{ Condition string } `yaml:"depends_on"`
	Ports       []string                              `yaml:"ports"`
	Healthcheck *struct{ Test []string }              `yaml:"healthcheck"`
	Environment map[string]string                     `yaml:"environment"`
	NetworkMode string                                `yaml:"network_mode"`
	Restart     string                                `yaml:"restart"`
	Volumes     []string                              `yaml:"volumes"`
	Profiles    []string                              `yaml:"profiles"`
}

type composeBuild struct {
	Context string `yaml:"context"`
	Target  string `yaml:"target"`
}

func loadCompose(t *testing.T) (compose, string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	return c, root
}

// TestComposeFileIsConsistent checks what `docker compose up` would trip
// over, since no Docker engine runs here: every dependency names a service
// that can satisfy its condition, build targets exist in the Dockerfile,
// published ports are the documented ones and do not clash, and the worker
// is wired to Temporal and to localaws.
func TestComposeFileIsConsistent(t *testing.T) {
	c, root := loadCompose(t)
	for _, want := range []string{"postgresql", "temporal-admin-tools", "temporal", "temporal-ui", "localaws", "worker"} {
		if _, ok := c.Services[want]; !ok {
			t.Errorf("service %q is missing", want)
		}
	}

	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?mi)^FROM\s+\S+\s+AS\s+(\S+)`).FindAllStringSubmatch(string(dockerfile), -1) {
		targets[m[1]] = true
	}

	hostPorts := map[string]string{}
	for name, svc := range c.Services {
		if (svc.Image == "") == (svc.Build == nil) {
			t.Errorf("service %s: needs exactly one of image and build", name)
		}
		if svc.Build != nil && !targets[svc.Build.Target] {
			t.Errorf("service %s: build target %q is not a stage of the Dockerfile", name, svc.Build.Target)
		}
		for dep, cond := range svc.DependsOn {
			target, ok := c.Services[dep]
			if !ok {
				t.Errorf("service %s depends on unknown service %s", name, dep)
				continue
			}
			switch cond.Condition {
			case "service_healthy":
				if target.Healthcheck == nil || len(target.Healthcheck.Test) == 0 {
					t.Errorf("service %s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
				}
			case "service_completed_successfully":
				if target.Restart != "no" {
					t.Errorf("service %s waits for %s to complete, but %s restarts (%q)", name, dep, dep, target.Restart)
				}
			case "service_started", "":
			default:
				t.Errorf("service %s: unknown depends_on condition %q", name, cond.Condition)
			}
		}
		if shared, ok := strings.CutPrefix(svc.NetworkMode, "service:"); ok {
			if _, exists := c.Services[shared]; !exists {
				t.Errorf("service %s shares the network of unknown service %s", name, shared)
			}
			if len(svc.Ports) > 0 {
				t.Errorf("service %s shares another service's network and cannot publish ports", name)
			}
		}
		for _, p := range svc.Ports {
			host, _, ok := strings.Cut(p, ":")
			if !ok {
				t.Errorf("service %s: port %q should be host:container", name, p)
				continue
			}
			if other, dup := hostPorts[host]; dup {
				t.Errorf("host port %s published by both %s and %s", host, other, name)
			}
			hostPorts[host] = name
		}
		for _, v := range svc.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
				if _, ok := c.Volumes[src]; !ok {
					t.Errorf("service %s uses undeclared volume %s", name, src)
				}
			}
		}
	}
	for port, svc := range map[string]string{"7233": "temporal", "8233": "temporal-ui", "4566": "localaws"} {
		if hostPorts[port] != svc {
			t.Errorf("host port %s should be published by %s, is by %q", port, svc, hostPorts[port])
		}
	}
	assertNoDependencyCycle(t, c)

	worker := c.Services["worker"]
	if worker.Environment["TEMPORAL_ADDRESS"] != "temporal:7233" {
		t.Errorf("worker TEMPORAL_ADDRESS = %q, want temporal:7233", worker.Environment["TEMPORAL_ADDRESS"])
	}
	if worker.Environment["AWS_ENDPOINT_URL"] == "" {
		t.Error("worker has no AWS_ENDPOINT_URL: it would talk to real AWS")
	}
	// TLS is forced there as on RDS: the worker must trust localaws's CA,
	// through the volume localaws keeps it in.
	bundle := worker.Environment[activities.EnvRDSCABundle]
	if !strings.HasPrefix(bundle, "/var/lib/localaws/") || !slices.Contains(worker.Volumes, "localaws-data:/var/lib/localaws:ro") {
		t.Errorf("worker %s = %q with volumes %v: it cannot check the instances' certificates", activities.EnvRDSCABundle, bundle, worker.Volumes)
	}
	if ui := c.Services["temporal-ui"]; ui.Environment["TEMPORAL_ADDRESS"] != "temporal:7233" {
		t.Errorf("temporal-ui TEMPORAL_ADDRESS = %q", ui.Environment["TEMPORAL_ADDRESS"])
	}
}

func assertNoDependencyCycle(t *testing.T, c compose) {
	t.Helper()
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var visit func(string) bool
	visit = func(name string) bool {
		switch state[name] {
		case visiting:
			return false
		case done:
			return true
		}
		state[name] = visiting
		for dep := range c.Services[name].DependsOn {
			if !visit(dep) {
				return false
			}
		}
		state[name] = done
		return true
	}
	for name := range c.Services {
		if !visit(name) {
			t.Errorf("depends_on has a cycle through %s", name)
		}
	}
}
