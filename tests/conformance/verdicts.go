//go:build conformance

package main

// verdicts is the judged list of known differences, keyed by case id and
// the paths they cover. Each was decided from AWS's documentation (the
// API references, and botocore's service models, which list each
// operation's documented errors, their HTTP statuses and the members'
// constraints), never from which emulator is preferred. Where AWS
// documents neither answer, the verdict is irrelevant and says so.
func verdicts() []verdict {
	return append(append(smVerdicts(), cwVerdicts()...), rdsVerdicts()...)
}

// Reasons shared by several verdicts.
const (
	smStatus404 = "per AWS's documentation: botocore's secretsmanager service-2.json gives ResourceNotFoundException (like every Secrets Manager error) no httpStatusCode, so awsJson1_1 answers 400; moto answers 404"
	wording     = "the error code and HTTP status agree; AWS documents the code, not the message's wording"
	constraint  = "per AWS's documentation: botocore's secretsmanager model constrains this member (min/max), and AWS's request validation answers a constraint violation with ValidationException and \"1 validation error detected: ...\" (moto quotes that very answer in its own GetRandomPassword 4097 message) before the operation runs"
	versionARN  = "per AWS's documentation: ListSecretVersionIds' ARN is \"The ARN of the secret\" (API reference); moto returns the name"
	nextToken   = "per AWS's documentation: NextToken is absent when there are no more results (ListSecretVersionIds API reference); moto sends \"\", which makes an SDK paginator call again"
	lastAccess  = "per AWS's documentation: LastAccessedDate is the last date the version was read (GetSecretValue); moto sets it on versions never read"
)

func smVerdicts() []verdict {
	v := func(id string, k kind, why string, paths ...string) verdict {
		return verdict{caseID: id, paths: paths, kind: k, why: why}
	}
	return []verdict{
		v("sm/create-generated-token", motoWrong, versionARN, "2:ok.ARN"),
		v("sm/create-generated-token", motoWrong, nextToken, "2:ok.NextToken"),
		v("sm/create-generated-token", motoWrong, lastAccess, "2:ok.Versions*"),
		v("sm/put-new-current", motoWrong, versionARN, "4:ok.ARN"),
		v("sm/put-new-current", motoWrong, nextToken, "4:ok.NextToken"),
		v("sm/put-new-current", motoWrong, lastAccess, "4:ok.Versions*"),
		v("sm/stage-promote", motoWrong, versionARN, "6:ok.ARN"),
		v("sm/stage-promote", motoWrong, nextToken, "6:ok.NextToken"),
		v("sm/stage-promote", motoWrong, lastAccess, "6:ok.Versions*"),
		v("sm/get-by-arn-and-partial-arn", motoWrong, "per AWS's documentation: DescribeSecret's LastAccessedDate is \"The date that the secret was last accessed in the Region\"; the secret was read in step 2 and moto leaves it out", "3:ok.LastAccessedDate"),
		v("sm/create-without-value", motoWrong, smStatus404, "3:error.Status"),
		v("sm/describe-missing", motoWrong, smStatus404, "1:error.Status"),
		v("sm/get-missing", motoWrong, smStatus404, "1:error.Status"),
		v("sm/put-missing-secret", motoWrong, smStatus404, "1:error.Status"),
		v("sm/stage-missing-secret", motoWrong, smStatus404, "1:error.Status"),
		v("sm/delete-missing", motoWrong, smStatus404, "1:error.Status"),
		v("sm/delete-force", motoWrong, smStatus404, "3:error.Status"),
		v("sm/resource-policy-missing-secret", motoWrong, smStatus404, "1:error.Status", "2:error.Status"),
		v("sm/tag-missing-secret", motoWrong, smStatus404, "1:error.Status"),
		v("sm/rotate-missing-secret", motoWrong, smStatus404, "1:error.Status"),
		v("sm/get-unknown-version-and-stage", motoWrong, smStatus404, "2:error.Status", "3:error.Status"),
		v("sm/get-unknown-version-and-stage", irrelevant, wording, "3:error.Message"),
		v("sm/get-by-stage-and-version", motoWrong, "per AWS's documentation: GetSecretValue's VersionStage and VersionId \"must refer to the same secret version\"; a pair that does not is a version Secrets Manager can't find (ResourceNotFoundException), and no Secrets Manager error is 404 in botocore's model", "5:error"),
		v("sm/create-string-and-binary", motoWrong, "per AWS's documentation: CreateSecret's SecretString/SecretBinary: \"Either SecretString or SecretBinary must have a value, but not both\" (API reference); moto stores both", "1:*"),
		v("sm/put-string-and-binary", motoWrong, "per AWS's documentation: PutSecretValue: \"You must include SecretBinary or SecretString, but not both\" (API reference); moto accepts both", "2:*"),
		v("sm/create-invalid-name", motoWrong, "per AWS's documentation: CreateSecret's Name \"can contain ASCII letters, numbers, and the following characters: /_+=.@-\" (API reference); moto accepts a space and '!'", "1:*"),
		v("sm/create-short-token", motoWrong, constraint+" (ClientRequestToken: 32 to 64 characters)", "1:error"),
		v("sm/put-same-token-other-value", motoWrong, "per AWS's documentation: PutSecretValue: \"if the secret data is different, then the operation fails because you can't modify an existing version\" (API reference, ClientRequestToken; ResourceExistsException); moto answers success", "3:*"),
		v("sm/put-without-value", irrelevant, "AWS's reference says a value must be given but not which of InvalidParameterException / InvalidRequestException answers its absence; credstage always sends SecretString", "2:error.Code"),
		v("sm/stage-remove-wrong-version", irrelevant, wording, "3:error.Message"),
		v("sm/stage-unknown-version", irrelevant, wording, "2:error.Message"),
		v("sm/stage-remove-current-only", motoWrong, "per AWS's documentation: UpdateSecretVersionStage: a secret always has exactly one AWSCURRENT version and AWSCURRENT moves only with MoveToVersionId (API reference and the user guide's 'staging labels'); moto removes it and leaves the secret without a current version (and labels it AWSPREVIOUS)", "2:*", "3:*"),
		v("sm/stage-already-there", motoWrong, "per AWS's documentation: UpdateSecretVersionStage needs RemoveFromVersionId only \"If the staging label is already attached to a different version of the secret\" (API reference, MoveToVersionId); here it is attached to the same version", "2:*"),
		v("sm/list-version-ids-missing", motoWrong, "per AWS's documentation: ListSecretVersionIds lists ResourceNotFoundException (botocore model); moto answers HTTP 500 with an HTML page", "1:*"),
		v("sm/list-secrets-bad-filter", irrelevant, "same code and status; the message's list of keys differs (localaws lists the SDK's whole enum, with primary-region and owning-service)", "1:error.Message"),
		v("sm/random-password-bad-length", motoWrong, constraint+" (PasswordLength: 1 to 4096)", "1:error", "2:error"),
		v("sm/random-password-nothing-left", motoWrong, "per AWS's documentation: GetRandomPassword lists InvalidParameterException / InvalidRequestException (botocore model), never an HTTP 500 with an HTML page, which is moto's answer when every character type is excluded", "1:*"),
		v("sm/random-password-too-short-for-types", irrelevant, wording+" (moto's message carries a Python exception's text)", "1:error.Message"),
		v("sm/delete-with-recovery", irrelevant, wording+" (moto's message carries a Python exception's text)", "4:error.Message", "6:error.Message"),
		v("sm/delete-with-recovery", motoWrong, "per AWS's documentation: InvalidRequestException: \"You tried to perform the operation on a secret that's currently marked deleted\" (PutSecretValue's error list, API reference); moto adds a version to a secret scheduled for deletion", "5:*"),
		v("sm/delete-bad-parameters", irrelevant, wording+" (moto's message carries a Python exception's text)", "2:error.Message", "3:error.Message", "4:error.Message"),
		v("sm/resource-policy-malformed", motoWrong, "per AWS's documentation: PutResourcePolicy answers MalformedPolicyDocumentException: \"The resource policy has syntax errors\" (API reference); moto stores a policy that is not JSON", "2:*"),
		v("sm/create-name-scheduled-for-deletion", motoWrong, "per AWS's documentation: InvalidRequestException is the answer when \"The secret is scheduled for deletion\" (its possible causes, CreateSecret API reference); moto answers ResourceExistsException", "3:error"),
		v("sm/tag-reserved-prefix", motoWrong, "per AWS's documentation: TagResource: \"Do not use the aws: prefix in your tag names or values because Amazon Web Services reserves it for Amazon Web Services use\" (API reference, tag restrictions); moto accepts aws:team", "2:*"),
		v("sm/rotate-parameter-checks", motoWrong, "per AWS's documentation: RotationRules: \"you can set the rotation schedule in RotationRules with AutomaticallyAfterDays or ScheduleExpression, but not both\" (API reference, RotationRulesType); moto accepts both", "4:*"),
		v("sm/rotate-parameter-checks", motoWrong, "per AWS's documentation: InvalidRequestException when \"You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call\" (RotateSecret's error list, API reference); moto rotates", "6:*"),
	}
}
