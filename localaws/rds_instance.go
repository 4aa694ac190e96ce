package localaws

import (
	"sync"
	"time"
)

// DB instance statuses, as RDS names them.
const (
	statusCreating     = "creating"
	statusBackingUp    = "backing-up"
	statusAvailable    = "available"
	statusModifying    = "modifying"
	statusResetting    = "resetting-master-credentials"
	statusStopping     = "stopping"
	statusStopped      = "stopped"
	statusStarting     = "starting"
	statusRebooting    = "rebooting"
	statusDeleting     = "deleting"
	statusFailed       = "failed"
	engineNamePostgres = "postgres"
)

// rdsInstance is one DB instance as persisted in rds.json. Exported fields
// are the state; the cluster handle and the operation lock are runtime only.
// Fields are guarded by rdsService.mu.
type rdsInstance struct {
	Identifier         string    `json:"identifier"`
	ResourceID         string    `json:"resourceId"`
	Status             string    `json:"status"`
	Engine             string    `json:"engine"`
	EngineVersion      string    `json:"engineVersion"`
	InstanceClass      string    `json:"instanceClass"`
	AllocatedStorage   int       `json:"allocatedStorage"`
	MasterUsername     string    `json:"masterUsername"`
	DBName             string    `json:"dbName,omitempty"`
	Port               int       `json:"port"`
	ClusterDir         string    `json:"clusterDir"` // relative to the data folder
	CreateTime         time.Time `json:"createTime"`
	DeletionProtection bool      `json:"deletionProtection,omitempty"`
	StorageEncrypted   bool      `json:"storageEncrypted,omitempty"`
	Tags               []rdsTag  `json:"tags,omitempty"`
	// ParameterGroup is a custom DB parameter group; empty is the default.
	ParameterGroup string `json:"parameterGroup,omitempty"`

	// ManagedPassword: the master password lives in the service-owned
	// secret SecretARN (ManageMasterUserPassword), which is then the source
	// of truth for it.
	ManagedPassword bool   `json:"managedPassword,omitempty"`
	SecretARN       string `json:"secretArn,omitempty"`
	SecretKMSKeyID  string `json:"secretKmsKeyId,omitempty"`

	// PendingVerifier is the hash of a master password that was accepted
	// but may not be in the database yet: the SCRAM verifier for
	// PostgreSQL, the mysql_native_password hash for MariaDB and MySQL. It is written before the
	// password is applied and cleared after, so a restart can finish the
	// job without the plaintext ever being stored.
	PendingVerifier string `json:"pendingVerifier,omitempty"`
	// ObsoleteSecretARN is a managed secret left behind by switching
	// ManageMasterUserPassword off; deleted once the switch is applied.
	ObsoleteSecretARN string `json:"obsoleteSecretArn,omitempty"`

	// cluster is the database server behind the instance (rds_dbserver.go).
	cluster dbServer
	// hostAuth overrides the cluster's password method (SetInstanceHostAuth).
	hostAuth string
	// op serialises the cluster work of one instance (create, stop, start,
	// reboot, password changes, delete, admin stop/start of PostgreSQL).
	op *sync.Mutex
}

type rdsTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// rdsState is the content of rds.json.
type rdsState struct {
	Instances       []*rdsInstance   `json:"instances"`
	ParameterGroups []*rdsParamGroup `json:"parameterGroups,omitempty"`
}

func (s *rdsService) instanceARN(id string) string {
	return s.env.arn("rds", "db:"+id)
}

// view renders an instance the way DescribeDBInstances returns it. Caller
// holds s.mu.
func (s *rdsService) view(in *rdsInstance) xmlDBInstance {
	v := xmlDBInstance{
		DBInstanceIdentifier:       in.Identifier,
		DBInstanceClass:            in.InstanceClass,
		Engine:                     in.Engine,
		DBInstanceStatus:           in.Status,
		MasterUsername:             in.MasterUsername,
		DBName:                     in.DBName,
		AllocatedStorage:           in.AllocatedStorage,
		PreferredBackupWindow:      "03:00-03:30",
		BackupRetentionPeriod:      1,
		AvailabilityZone:           s.env.region + "a",
		PreferredMaintenanceWindow: "sun:05:00-sun:05:30",
		EngineVersion:              in.EngineVersion,
		AutoMinorVersionUpgrade:    true,
		LicenseModel:               engineOf(in.Engine).licenseModel,
		StorageType:                "gp2",
		DbiResourceID:              in.ResourceID,
		CACertificateIdentifier:    "rds-ca-rsa2048-g1",
		DBInstanceArn:              s.instanceARN(in.Identifier),
		DeletionProtection:         in.DeletionProtection,
		StorageEncrypted:           in.StorageEncrypted,
		NetworkType:                "IPV4",
		DBParameterGroups:          xmlParamGroupStatusList{s.paramGroupStatusLocked(in)},
		BackupTarget:               "region",
	}
	if in.Status != statusCreating {
		v.Endpoint = &xmlEndpoint{Address: "127.0.0.1", Port: in.Port, HostedZoneID: "Z2R2ITUGPM61AM"}
		v.InstanceCreateTime = in.CreateTime.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	if in.ManagedPassword && in.SecretARN != "" {
		v.MasterUserSecret = &xmlMasterUserSecret{SecretArn: in.SecretARN, SecretStatus: managedSecretStatus(in.Status), KmsKeyID: in.SecretKMSKeyID}
	}
	for _, t := range in.Tags {
		v.TagList.Tags = append(v.TagList.Tags, xmlTag(t))
	}
	return v
}

// managedSecretStatus is MasterUserSecret.SecretStatus as AWS answers it:
// creating until the instance is first available, rotating while RDS
// rotates the password, active otherwise.
func managedSecretStatus(instanceStatus string) string {
	switch instanceStatus {
	case statusCreating:
		return "creating"
	case statusResetting:
		return "rotating"
	}
	return "active"
}
