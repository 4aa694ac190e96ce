package localaws

// XML shapes of RDS responses. The core encodes a handler's result as the
// <OpResult> element, so these types carry no XMLName of their own. Member
// element names follow the RDS model (DBInstances/DBInstance,
// TagList/Tag) as aws-sdk-go-v2's awsQuery deserializer expects them.

type xmlDBInstance struct {
	DBInstanceIdentifier       string                  `xml:"DBInstanceIdentifier"`
	DBInstanceClass            string                  `xml:"DBInstanceClass"`
	Engine                     string                  `xml:"Engine"`
	DBInstanceStatus           string                  `xml:"DBInstanceStatus"`
	MasterUsername             string                  `xml:"MasterUsername"`
	DBName                     string                  `xml:"DBName,omitempty"`
	Endpoint                   *xmlEndpoint            `xml:"Endpoint,omitempty"`
	AllocatedStorage           int                     `xml:"AllocatedStorage"`
	InstanceCreateTime         string                  `xml:"InstanceCreateTime,omitempty"`
	PreferredBackupWindow      string                  `xml:"PreferredBackupWindow"`
	BackupRetentionPeriod      int                     `xml:"BackupRetentionPeriod"`
	AvailabilityZone           string                  `xml:"AvailabilityZone"`
	PreferredMaintenanceWindow string                  `xml:"PreferredMaintenanceWindow"`
	MultiAZ                    bool                    `xml:"MultiAZ"`
	EngineVersion              string                  `xml:"EngineVersion"`
	AutoMinorVersionUpgrade    bool                    `xml:"AutoMinorVersionUpgrade"`
	LicenseModel               string                  `xml:"LicenseModel"`
	PubliclyAccessible         bool                    `xml:"PubliclyAccessible"`
	StorageType                string                  `xml:"StorageType"`
	DbInstancePort             int                     `xml:"DbInstancePort"`
	StorageEncrypted           bool                    `xml:"StorageEncrypted"`
	DbiResourceID              string                  `xml:"DbiResourceId"`
	CACertificateIdentifier    string                  `xml:"CACertificateIdentifier"`
	CopyTagsToSnapshot         bool                    `xml:"CopyTagsToSnapshot"`
	DBInstanceArn              string                  `xml:"DBInstanceArn"`
	IAMDatabaseAuthEnabled     bool                    `xml:"IAMDatabaseAuthenticationEnabled"`
	DeletionProtection         bool                    `xml:"DeletionProtection"`
	TagList                    xmlTagList              `xml:"TagList"`
	MasterUserSecret           *xmlMasterUserSecret    `xml:"MasterUserSecret,omitempty"`
	NetworkType                string                  `xml:"NetworkType"`
	DBParameterGroups          xmlParamGroupStatusList `xml:"DBParameterGroups"`
	BackupTarget               string                  `xml:"BackupTarget"`
}

type xmlEndpoint struct {
	Address      string `xml:"Address"`
	Port         int    `xml:"Port"`
	HostedZoneID string `xml:"HostedZoneId"`
}

type xmlMasterUserSecret struct {
	SecretArn    string `xml:"SecretArn"`
	SecretStatus string `xml:"SecretStatus"`
	KmsKeyID     string `xml:"KmsKeyId"`
}

type xmlTagList struct {
	Tags []xmlTag `xml:"Tag"`
}

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// singleInstanceResult is the result of Create/Modify/Delete/Stop/Start/
// RebootDBInstance.
type singleInstanceResult struct {
	DBInstance xmlDBInstance `xml:"DBInstance"`
}

type describeDBInstancesResult struct {
	DBInstances struct {
		Items []xmlDBInstance `xml:"DBInstance"`
	} `xml:"DBInstances"`
	Marker string `xml:"Marker,omitempty"`
}

type listTagsResult struct {
	TagList xmlTagList `xml:"TagList"`
}

type xmlParamGroupStatusList struct {
	Items []xmlParamGroupStatus `xml:"DBParameterGroup"`
}
