package localaws

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/credstage/credstage/localaws/internal/dbhost"
	"github.com/credstage/credstage/localaws/internal/pgcluster"
)

// TestRDSRecoversInterruptedWork edits rds.json into the states a crash
// leaves behind, then starts a server on it: a password change recorded but
// not applied is applied, and a create recorded before its cluster existed
// is provisioned.
func TestRDSRecoversInterruptedWork(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "state")
	srv, client := startRDSServer(t, Options{DataDir: dataDir})
	const oldPW, newPW, freshPW = "Before-Crash-1", "After-Crash-22", "Fresh-Create-333"
	db := createWithPassword(t, client, "halfway", "master", oldPW)
	closeRDSServer(t, srv)

	var st rdsState
	if _, err := loadJSON(filepath.Join(dataDir, "rds.json"), &st); err != nil || len(st.Instances) != 1 {
		t.Fatalf("rds.json: %v (%d instances)", err, len(st.Instances))
	}
	// Died between recording the new master password and ALTER ROLE.
	v, _ := pgcluster.SCRAMVerifier(newPW)
	st.Instances[0].Status, st.Instances[0].PendingVerifier = statusResetting, v
	// Died right after CreateDBInstance recorded the instance.
	port, _ := dbhost.FreePort()
	fv, _ := pgcluster.SCRAMVerifier(freshPW)
	st.Instances = append(st.Instances, &rdsInstance{Identifier: "fresh", ResourceID: "db-FRESH", Status: statusCreating,
		Engine: "postgres", EngineVersion: "15", InstanceClass: "db.t4g.micro", AllocatedStorage: 20, MasterUsername: "master",
		DBName: "fresh", Port: port, ClusterDir: filepath.Join("rds", "fresh"), CreateTime: time.Now(), PendingVerifier: fv})
	if err := saveJSON(filepath.Join(dataDir, "rds.json"), st); err != nil {
		t.Fatal(err)
	}

	_, client2 := startRDSServer(t, Options{DataDir: dataDir})
	if s := aws.ToString(describeOne(t, client2, "halfway").DBInstanceStatus); s != "available" {
		t.Fatalf("halfway status %q", s)
	}
	mustRefuse(t, db.Endpoint, "master", oldPW, "postgres")
	mustLogin(t, db.Endpoint, "master", newPW, "postgres")

	fresh := waitAvailable(t, client2, "fresh")
	mustLogin(t, fresh.Endpoint, "master", freshPW, "fresh")

	var after rdsState
	if _, err := loadJSON(filepath.Join(dataDir, "rds.json"), &after); err != nil {
		t.Fatal(err)
	}
	for _, in := range after.Instances {
		if in.PendingVerifier != "" {
			t.Errorf("%s: pending verifier left in rds.json", in.Identifier)
		}
	}
}
