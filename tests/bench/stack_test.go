package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/tests/stack"
)

// workerAccessKey signs the worker's AWS calls, so the localaws request log
// tells them apart from the harness's own (setup, the simulated
// application, the baselines use benchAccessKey).
const (
	workerAccessKey = "credstage-worker"
	benchAccessKey  = "credstage-bench"
)

// benchStack is the local stack of a benchmark: the Temporal dev server
// (SQLite file with WAL, as `make dev-server` runs it), localaws in-process
// and the worker as its own process, so its memory and CPU are its own.
type benchStack struct {
	tb        testing.TB
	dir       string
	temporal  *stack.Temporal
	aws       *stack.LocalAWS
	sm        *secretsmanager.Client
	worker    *workerProc
	workerBin string
	devPID    int    // the dev server's process, for its CPU time
	awsDir    string // localaws's data folder, "" when ephemeral under $TMPDIR
	// clusterDirs are the instances' PostgreSQL data folders.
	clusterDirs []string
	// quotas is localaws's quota mode, nil when off.
	quotas *localaws.QuotaConfig
	// writeRate is the workers' --aws-write-rate; identity, when set,
	// their --identity (a restarted worker is then the same poller to
	// Temporal, so it never shares the write budget with its own ghost).
	writeRate, identity string
	// extra are the workers started beside the first (spawnWorker).
	extra []*workerProc
}

type workerProc struct {
	cmd  *exec.Cmd
	done chan error
	log  *os.File
	// logPath and logFrom say where this process's log lines start.
	logPath string
	logFrom int64
}

// stackOptions are what a benchmark stack differs in: the main one has
// none; the quota figure's runs localaws in quota mode with a budgeted
// worker under a fixed identity.
type stackOptions struct {
	quotas    *localaws.QuotaConfig
	writeRate string // --aws-write-rate; "" means CREDSTAGE_BENCH_WRITE_RATE, default 0
	identity  string
}

// buildBinary builds a main package of the repository (./worker, or
// ./starter for the agent) once per test binary.
func buildBinary(dir, name, pkg string) (string, error) {
	root, err := stack.RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out.String())
	}
	return bin, nil
}

func startBenchStack(tb testing.TB, workerBin string, opts stackOptions) *benchStack {
	tb.Helper()
	dir := tb.TempDir()
	// The figures without quotas measure credstage's own cost, so the
	// write budget, which exists for AWS's quota, is off unless asked.
	writeRate := opts.writeRate
	if writeRate == "" {
		writeRate = envOr("CREDSTAGE_BENCH_WRITE_RATE", "0")
	}
	s := &benchStack{tb: tb, dir: dir, workerBin: workerBin, quotas: opts.quotas, writeRate: writeRate, identity: opts.identity}
	tmp, err := stack.StartTemporalE(stack.TemporalOptions{DBFile: filepath.Join(dir, "temporal.db")})
	if err != nil {
		tb.Fatal(err)
	}
	s.temporal = tmp
	tb.Cleanup(tmp.Stop)
	s.devPID = findProcess(filepath.Join(dir, "temporal.db"))

	awsOpts, awsDir, err := localAWSOptions()
	if err != nil {
		tb.Fatal(err)
	}
	s.awsDir = awsDir
	awsOpts.Quotas = opts.quotas
	l, err := stack.StartLocalAWSE(awsOpts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = l.Server.Close()
		if awsDir != "" {
			_ = os.RemoveAll(awsDir)
		}
	})
	s.aws = l
	cfg, err := awsConfig(s)
	if err != nil {
		tb.Fatal(err)
	}
	s.sm = secretsmanager.NewFromConfig(cfg)
	s.startWorker()
	tb.Cleanup(func() {
		s.stopWorker()
		s.stopExtraWorkers()
	})
	return s
}

// localAWSOptions puts localaws's state on tmpfs (/dev/shm) when there is
// one, or where CREDSTAGE_BENCH_AWS_DIR says ("disk": an ephemeral folder
// under $TMPDIR). localaws rewrites and fsyncs its whole Secrets Manager
// state file on every change; at thousands of secrets with their versions
// that costs tens of milliseconds per mutating call on disk, an emulator
// cost real Secrets Manager does not have and which the benchmarks would
// otherwise measure in place of credstage (its PostgreSQL clusters live
// there too: logins, the scarce resource, cost CPU either way).
func localAWSOptions() (localaws.Options, string, error) {
	base := os.Getenv("CREDSTAGE_BENCH_AWS_DIR")
	if base == "" {
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			base = "/dev/shm"
		}
	}
	if base == "" || base == "disk" {
		return localaws.Options{Ephemeral: true, Addr: "127.0.0.1:0"}, "", nil
	}
	dir, err := os.MkdirTemp(base, "credstage-bench-localaws-")
	if err != nil {
		return localaws.Options{}, "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the clusters' owner must reach them
		return localaws.Options{}, "", err
	}
	return localaws.Options{DataDir: dir, Addr: "127.0.0.1:0"}, dir, nil
}

// awsConfig points the SDK at localaws, signing as the harness.
func awsConfig(s *benchStack) (aws.Config, error) {
	cfg, err := stack.AWSConfig(s.aws.URL)
	cfg.Credentials = staticCreds(benchAccessKey)
	return cfg, err
}

func (s *benchStack) client() client.Client { return s.temporal.Client }

func (s *benchStack) startWorker(extraArgs ...string) {
	s.tb.Helper()
	s.worker = s.launchWorker("worker.log", s.identity, extraArgs...)
}

// spawnWorker starts one more worker beside the first, under identity,
// logging to its own file; stopExtraWorkers ends them.
func (s *benchStack) spawnWorker(identity string) *workerProc {
	s.tb.Helper()
	w := s.launchWorker(identity+".log", identity)
	s.extra = append(s.extra, w)
	return w
}

func (s *benchStack) launchWorker(logName, identity string, extraArgs ...string) *workerProc {
	s.tb.Helper()
	logPath := filepath.Join(s.dir, logName)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.tb.Fatal(err)
	}
	from, _ := logf.Seek(0, io.SeekEnd)
	args := []string{"--log-format", "json", "--log-level", "info", "--stop-timeout", "5s", "--aws-write-rate", s.writeRate}
	if identity != "" {
		args = append(args, "--identity", identity)
	}
	cmd := exec.Command(s.workerBin, append(args, extraArgs...)...)
	cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+s.temporal.Address,
		"TEMPORAL_NAMESPACE=default",
		"AWS_ENDPOINT_URL="+s.aws.URL,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID="+workerAccessKey,
		"AWS_SECRET_ACCESS_KEY=credstage-worker-secret",
		activities.EnvRDSCABundle+"="+s.aws.Server.RDSCABundlePath(),
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("start worker: %v", err)
	}
	w := &workerProc{cmd: cmd, done: make(chan error, 1), log: logf, logPath: logPath, logFrom: from}
	go func() { w.done <- cmd.Wait() }()
	return w
}

// logLines is what this worker process has logged so far.
func (w *workerProc) logLines() []string {
	b, err := os.ReadFile(w.logPath)
	if err != nil || int64(len(b)) < w.logFrom {
		return nil
	}
	return strings.Split(string(b[w.logFrom:]), "\n")
}

// stop ends the worker by its process id, gracefully first.
func (w *workerProc) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
	_ = w.log.Close()
}

// stopWorker ends the first worker.
func (s *benchStack) stopWorker() {
	w := s.worker
	if w == nil {
		return
	}
	s.worker = nil
	w.stop()
}

// stopExtraWorkers ends the workers spawnWorker started.
func (s *benchStack) stopExtraWorkers() {
	for _, w := range s.extra {
		w.stop()
	}
	s.extra = nil
}

// restartWorker gives the next run a fresh worker process, so its peak
// RSS is that run's own; extraArgs are flags for this one.
func (s *benchStack) restartWorker(extraArgs ...string) {
	s.stopWorker()
	s.startWorker(extraArgs...)
}

func (s *benchStack) workerPID() int { return s.worker.cmd.Process.Pid }

// peakRSSMiB is VmHWM of a process, in MiB.
func peakRSSMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// cpuSeconds is a process's user+system CPU time so far.
func cpuSeconds(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / clockTicks
}

const clockTicks = 100 // USER_HZ on Linux

// findProcess is the pid of the process whose command line mentions arg.
func findProcess(arg string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(arg)) {
			return pid
		}
	}
	return 0
}

// procStat is the part of /proc/<pid>/stat the harness reads.
type procStat struct {
	pid, ppid                    int
	name                         string
	utime, stime, cutime, cstime float64 // clock ticks
}

func readProcStat(pid string) (procStat, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return procStat{}, false
	}
	s := string(b)
	open, closeP := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closeP < 0 {
		return procStat{}, false
	}
	f := strings.Fields(s[closeP+2:])
	if len(f) < 15 {
		return procStat{}, false
	}
	p := procStat{name: s[open+1 : closeP]}
	p.pid, _ = strconv.Atoi(pid)
	p.ppid, _ = strconv.Atoi(f[1])
	for i, dst := range []*float64{&p.utime, &p.stime, &p.cutime, &p.cstime} {
		*dst, _ = strconv.ParseFloat(f[11+i], 64)
	}
	return p, true
}

// postgresCPU is the CPU time of this stack's PostgreSQL clusters: the
// postmasters whose command line names one of dataDirs (their own time
// and their exited backends'), and their live backends.
func postgresCPU(dataDirs []string) float64 {
	ents, _ := os.ReadDir("/proc")
	var procs []procStat
	for _, e := range ents {
		if p, ok := readProcStat(e.Name()); ok && p.name == "postgres" {
			procs = append(procs, p)
		}
	}
	ours := map[int]bool{}
	var ticks float64
	for _, p := range procs {
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.pid))
		for _, d := range dataDirs {
			if d != "" && bytes.Contains(cmd, []byte(d)) {
				ours[p.pid] = true
				ticks += p.utime + p.stime + p.cutime + p.cstime
				break
			}
		}
	}
	for _, p := range procs {
		if ours[p.ppid] {
			ticks += p.utime + p.stime
		}
	}
	return ticks / clockTicks
}

// machineBusy is the CPU time every process of the machine has spent.
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy float64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		x, _ := strconv.ParseFloat(v, 64)
		busy += x
	}
	return busy / clockTicks
}

// cpuSample is CPU seconds by component at one instant.
type cpuSample struct {
	worker, devServer, postgres, bench, machine float64
	at                                          time.Time
}

// workersCPU is the CPU time of every worker process running.
func (s *benchStack) workersCPU() float64 {
	t := cpuSeconds(s.workerPID())
	for _, w := range s.extra {
		t += cpuSeconds(w.cmd.Process.Pid)
	}
	return t
}

func (s *benchStack) cpu() cpuSample {
	return cpuSample{
		worker: s.workersCPU(), devServer: cpuSeconds(s.devPID),
		postgres: postgresCPU(s.clusterDirs), bench: cpuSeconds(os.Getpid()), machine: machineBusy(), at: time.Now(),
	}
}

// cpuUse is CPU seconds spent per component between two samples; Other
// is what the rest of the machine spent meanwhile (another session's
// tests make figures noisy: it says how much).
type cpuUse struct {
	Worker    float64 `json:"worker"`
	DevServer float64 `json:"temporal_dev_server"`
	Postgres  float64 `json:"postgres"`
	Bench     float64 `json:"bench_process_localaws_and_app"`
	Other     float64 `json:"other_processes"`
	Wall      float64 `json:"wall"`
}

func (a cpuSample) to(b cpuSample) cpuUse {
	u := cpuUse{Worker: b.worker - a.worker, DevServer: b.devServer - a.devServer,
		Postgres: b.postgres - a.postgres, Bench: b.bench - a.bench, Wall: b.at.Sub(a.at).Seconds()}
	u.Other = max(0, (b.machine-a.machine)-u.Worker-u.DevServer-u.Postgres-u.Bench)
	return u
}

// awsCalls counts one caller's AWS calls since the last reset, by action.
func (s *benchStack) awsCalls(accessKey string) map[string]int {
	return s.awsCallsSince(accessKey, time.Time{})
}

// awsCallsSince counts one caller's AWS calls started since a time.
func (s *benchStack) awsCallsSince(accessKey string, since time.Time) map[string]int {
	out := map[string]int{}
	for _, e := range s.aws.Server.Requests().Entries() {
		if e.AccessKey == accessKey && !e.Time.Before(since) {
			out[e.Action]++
		}
	}
	return out
}

func (s *benchStack) resetAWSCalls() { s.aws.Server.Requests().Reset() }

// parallelDo runs fn(i) for i in [0,n) on `workers` goroutines and
// returns the first error.
func parallelDo(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	var (
		mu    sync.Mutex
		first error
		next  int
		wg    sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// envOr is the variable name's value, or def when it is empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
