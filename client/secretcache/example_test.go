package secretcache_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/credstage/credstage/client/secretcache"
)

// exampleSM stands for *secretsmanager.Client (secretsmanager.NewFromConfig).
type exampleSM struct{}

func (exampleSM) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return &secretsmanager.GetSecretValueOutput{VersionId: aws.String("v1"),
		SecretString: aws.String(`{"engine":"postgres","host":"orders.example","port":5432,"username":"app","password":"x","dbname":"orders"}`)}, nil
}

func (exampleSM) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return &secretsmanager.DescribeSecretOutput{VersionIdsToStages: map[string][]string{"v1": {"AWSCURRENT"}}}, nil
}

// Read the current credentials of a database at each new connection; the
// cache calls Secrets Manager about once per rotation.
func Example() {
	cache := secretcache.New(exampleSM{}, secretcache.Options{})
	s, err := cache.Get(context.Background(), "production/orders/app")
	if err != nil {
		fmt.Println(err)
		return
	}
	if s.Stale != nil {
		fmt.Println("serving the last good value:", s.Stale)
	}
	fmt.Println(s) // never prints the password
	// Output: "app"@orders.example:5432/orders (version v1)
}
