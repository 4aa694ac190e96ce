package localaws

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"
)

// secretsManager emulates AWS Secrets Manager on awsJson1_1. All state sits
// behind one mutex (calls are short and in memory); a changing call appends
// its changes to <dataDir>/secretsmanager.log before it is answered.
//
// Files: sm_service.go dispatch; sm_wire.go request/response shapes;
// sm_errors.go and sm_validate.go AWS errors and input limits; sm_store.go
// the model and SecretId lookup; sm_persist.go the log, sm_compact.go its
// compaction, sm_load.go loading and migration; sm_write.go create,
// update and put; sm_read.go get, batch get and describe; sm_versions.go
// staging labels; sm_list.go and sm_filters.go listing; sm_tags.go;
// sm_delete.go deletion and restore; sm_rotation.go; sm_password.go;
// sm_policy.go resource policies; sm_owned.go the Go API for secrets
// other services own. iam_authz_sm.go says what each call needs when IAM
// is enforced.
type secretsManager struct {
	env *env
	now func() time.Time

	mu        sync.Mutex
	secrets   map[string]*smSecret // by name; scheduled-for-deletion ones too
	nextSeq   uint64
	nextPurge time.Time // earliest DeletionDate to act on; zero when none
	smJournal
}

func newSecretsManager(e *env) (*secretsManager, error) {
	sm := &secretsManager{env: e, secrets: map[string]*smSecret{},
		now: func() time.Time { return time.Now().UTC() }}
	sm.lazy = map[string]struct{}{}
	sm.compactMin = smCompactMinBytes
	if err := sm.load(); err != nil {
		return nil, err
	}
	return sm, nil
}

// smHandlers maps each operation to its handler. Operations not listed get
// UnknownOperationException, as from AWS for an operation it lacks.
var smHandlers = map[string]func(*secretsManager, *Call) (any, error){
	"CreateSecret":             (*secretsManager).createSecret,
	"UpdateSecret":             (*secretsManager).updateSecret,
	"PutSecretValue":           (*secretsManager).putSecretValue,
	"GetSecretValue":           (*secretsManager).getSecretValue,
	"BatchGetSecretValue":      (*secretsManager).batchGetSecretValue,
	"DescribeSecret":           (*secretsManager).describeSecret,
	"ListSecrets":              (*secretsManager).listSecrets,
	"ListSecretVersionIds":     (*secretsManager).listSecretVersionIDs,
	"UpdateSecretVersionStage": (*secretsManager).updateSecretVersionStage,
	"GetRandomPassword":        (*secretsManager).getRandomPassword,
	"RotateSecret":             (*secretsManager).rotateSecret,
	"CancelRotateSecret":       (*secretsManager).cancelRotateSecret,
	"TagResource":              (*secretsManager).tagResource,
	"UntagResource":            (*secretsManager).untagResource,
	"DeleteSecret":             (*secretsManager).deleteSecret,
	"RestoreSecret":            (*secretsManager).restoreSecret,
	"PutResourcePolicy":        (*secretsManager).putResourcePolicy,
	"GetResourcePolicy":        (*secretsManager).getResourcePolicy,
	"DeleteResourcePolicy":     (*secretsManager).deleteResourcePolicy,
	"ValidateResourcePolicy":   (*secretsManager).validateResourcePolicy,
}

func (sm *secretsManager) handle(_ context.Context, c *Call) (any, error) {
	h, ok := smHandlers[c.Op]
	if !ok {
		return nil, unknownOperation(c)
	}
	return h(sm, c)
}

// smDecode reads a request body into its shape. An empty body is an empty
// request; anything that is not a JSON object of the right member types is a
// SerializationException, never a server error.
func smDecode[T any](c *Call) (*T, *APIError) {
	in := new(T)
	body := bytes.TrimSpace(c.Body)
	if len(body) == 0 {
		return in, nil
	}
	if err := json.Unmarshal(body, in); err != nil {
		return nil, smSerialization(c.Op, err)
	}
	return in, nil
}
