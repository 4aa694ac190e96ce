package localaws

import "time"

// Wire shapes of the Secrets Manager API (awsJson1_1). Requests use pointers
// where AWS distinguishes "absent" from "zero" (a false RotateImmediately is
// not an omitted one); responses use omitempty so absent members stay absent,
// as the SDK maps them to nil.

// smEpochSeconds renders a time the way awsJson1_1 carries timestamps: a JSON
// number of seconds since the epoch, with millisecond precision.
func smEpochSeconds(t time.Time) *float64 {
	if t.IsZero() {
		return nil
	}
	v := float64(t.UnixMilli()) / 1000
	return &v
}

func smEpochSecondsPtr(t *time.Time) *float64 {
	if t == nil {
		return nil
	}
	return smEpochSeconds(*t)
}

type smTag struct {
	Key   *string `json:"Key,omitempty"`
	Value *string `json:"Value,omitempty"`
}

type smFilter struct {
	Key    string   `json:"Key,omitempty"`
	Values []string `json:"Values,omitempty"`
}

type smRotationRules struct {
	AutomaticallyAfterDays *int64  `json:"AutomaticallyAfterDays,omitempty"`
	Duration               *string `json:"Duration,omitempty"`
	ScheduleExpression     *string `json:"ScheduleExpression,omitempty"`
}

type smSecretIDInput struct {
	SecretId *string
}

type smNameOutput struct {
	ARN  string `json:"ARN"`
	Name string `json:"Name"`
}

type smCreateSecretInput struct {
	Name               *string
	ClientRequestToken *string
	Description        *string
	KmsKeyId           *string
	SecretBinary       []byte
	SecretString       *string
	Tags               []smTag
	Type               *string
}

type smVersionOutput struct {
	ARN       string `json:"ARN"`
	Name      string `json:"Name"`
	VersionId string `json:"VersionId,omitempty"`
}

type smUpdateSecretInput struct {
	SecretId           *string
	ClientRequestToken *string
	Description        *string
	KmsKeyId           *string
	SecretBinary       []byte
	SecretString       *string
	Type               *string
}

type smPutSecretValueInput struct {
	SecretId           *string
	ClientRequestToken *string
	SecretBinary       []byte
	SecretString       *string
	VersionStages      []string
	RotationToken      *string
}

type smPutSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionId     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
}

type smGetSecretValueInput struct {
	SecretId     *string
	VersionId    *string
	VersionStage *string
}

// smSecretValue is both GetSecretValue's output and BatchGetSecretValue's
// SecretValueEntry: AWS gives them the same members.
type smSecretValue struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionId     string   `json:"VersionId"`
	SecretBinary  []byte   `json:"SecretBinary,omitempty"`
	SecretString  *string  `json:"SecretString,omitempty"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   *float64 `json:"CreatedDate,omitempty"`
}

type smBatchGetSecretValueInput struct {
	SecretIdList []string
	Filters      []smFilter
	MaxResults   *int64
	NextToken    *string
}

type smAPIErrorEntry struct {
	SecretId  string `json:"SecretId"`
	ErrorCode string `json:"ErrorCode"`
	Message   string `json:"Message"`
}

type smBatchGetSecretValueOutput struct {
	SecretValues []smSecretValue   `json:"SecretValues"`
	Errors       []smAPIErrorEntry `json:"Errors"`
	NextToken    *string           `json:"NextToken,omitempty"`
}

// smSecretDetails is DescribeSecret's output and, with SecretVersionsToStages
// instead of VersionIdsToStages, ListSecrets' SecretListEntry.
type smSecretDetails struct {
	ARN                    string              `json:"ARN"`
	Name                   string              `json:"Name"`
	Type                   *string             `json:"Type,omitempty"`
	Description            *string             `json:"Description,omitempty"`
	KmsKeyId               *string             `json:"KmsKeyId,omitempty"`
	RotationEnabled        *bool               `json:"RotationEnabled,omitempty"`
	RotationLambdaARN      *string             `json:"RotationLambdaARN,omitempty"`
	RotationRules          *smRotationRules    `json:"RotationRules,omitempty"`
	LastRotatedDate        *float64            `json:"LastRotatedDate,omitempty"`
	LastChangedDate        *float64            `json:"LastChangedDate,omitempty"`
	LastAccessedDate       *float64            `json:"LastAccessedDate,omitempty"`
	DeletedDate            *float64            `json:"DeletedDate,omitempty"`
	NextRotationDate       *float64            `json:"NextRotationDate,omitempty"`
	Tags                   []smTag             `json:"Tags,omitempty"`
	VersionIdsToStages     map[string][]string `json:"VersionIdsToStages,omitempty"`
	SecretVersionsToStages map[string][]string `json:"SecretVersionsToStages,omitempty"`
	OwningService          *string             `json:"OwningService,omitempty"`
	CreatedDate            *float64            `json:"CreatedDate,omitempty"`
	PrimaryRegion          *string             `json:"PrimaryRegion,omitempty"`
}

type smListSecretsInput struct {
	Filters                []smFilter
	IncludePlannedDeletion *bool
	MaxResults             *int64
	NextToken              *string
	SortBy                 *string
	SortOrder              *string
}

type smListSecretsOutput struct {
	SecretList []smSecretDetails `json:"SecretList"`
	NextToken  *string           `json:"NextToken,omitempty"`
}

type smUpdateSecretVersionStageInput struct {
	SecretId            *string
	VersionStage        *string
	MoveToVersionId     *string
	RemoveFromVersionId *string
}

type smListSecretVersionIdsInput struct {
	SecretId          *string
	IncludeDeprecated *bool
	MaxResults        *int64
	NextToken         *string
}

type smVersionEntry struct {
	VersionId        string   `json:"VersionId"`
	VersionStages    []string `json:"VersionStages,omitempty"`
	CreatedDate      *float64 `json:"CreatedDate,omitempty"`
	LastAccessedDate *float64 `json:"LastAccessedDate,omitempty"`
}

type smListSecretVersionIdsOutput struct {
	ARN       string           `json:"ARN"`
	Name      string           `json:"Name"`
	Versions  []smVersionEntry `json:"Versions"`
	NextToken *string          `json:"NextToken,omitempty"`
}

type smGetRandomPasswordInput struct {
	PasswordLength          *int64
	ExcludeCharacters       *string
	ExcludeNumbers          *bool
	ExcludePunctuation      *bool
	ExcludeUppercase        *bool
	ExcludeLowercase        *bool
	IncludeSpace            *bool
	RequireEachIncludedType *bool
}

type smGetRandomPasswordOutput struct {
	RandomPassword string `json:"RandomPassword"`
}

type smRotateSecretInput struct {
	SecretId           *string
	ClientRequestToken *string
	RotationLambdaARN  *string
	RotationRules      *smRotationRules
	RotateImmediately  *bool
}

type smTagResourceInput struct {
	SecretId *string
	Tags     []smTag
}

type smUntagResourceInput struct {
	SecretId *string
	TagKeys  []string
}

type smDeleteSecretInput struct {
	SecretId                   *string
	RecoveryWindowInDays       *int64
	ForceDeleteWithoutRecovery *bool
}

type smDeleteSecretOutput struct {
	ARN          string   `json:"ARN"`
	Name         string   `json:"Name"`
	DeletionDate *float64 `json:"DeletionDate,omitempty"`
}
