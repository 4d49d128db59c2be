package main

import (
	"context"
	"crypto/rsa"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/linuxfoundation/v1sync/stages/auth"
	"github.com/linuxfoundation/v1sync/stages/v2client"
	"github.com/linuxfoundation/v1sync/streams"
)

// Settings shared by every stage that calls the v2 services. The Heimdall
// private key comes from a file (V1SYNC_HEIMDALL_PRIVATE_KEY_FILE) or, where
// files are awkward, the PEM itself (V1SYNC_HEIMDALL_PRIVATE_KEY); it is
// never logged or quoted in errors.
const (
	envProjectURL        = "V1SYNC_V2_PROJECT_URL"
	envCommitteeURL      = "V1SYNC_V2_COMMITTEE_URL"
	envProjectAudience   = "V1SYNC_V2_PROJECT_AUDIENCE"
	envCommitteeAudience = "V1SYNC_V2_COMMITTEE_AUDIENCE"
	envV2Timeout         = "V1SYNC_V2_HTTP_TIMEOUT"
	envHeimdallClientID  = "V1SYNC_HEIMDALL_CLIENT_ID"
	envHeimdallKeyID     = "V1SYNC_HEIMDALL_KEY_ID"
	envHeimdallJWKSURL   = "V1SYNC_HEIMDALL_JWKS_URL"
	envHeimdallKeyFile   = "V1SYNC_HEIMDALL_PRIVATE_KEY_FILE"
	envHeimdallKeyPEM    = "V1SYNC_HEIMDALL_PRIVATE_KEY"
)

// newV2Client builds the v2 client with Heimdall token minting; v1 users
// are resolved from the v1-objects bucket, their emails from the v1
// database when it is configured.
func newV2Client(ctx context.Context, d stageDeps) (*v2client.Client, error) {
	acfg := auth.DefaultConfig()
	// The service principal is v1sync's client id, as in the loop guard,
	// unless Heimdall knows v1sync under another one.
	setString(d, envClientID, &acfg.ClientID)
	setString(d, envHeimdallClientID, &acfg.ClientID)
	setString(d, envHeimdallKeyID, &acfg.KeyID)
	setString(d, envHeimdallJWKSURL, &acfg.JWKSURL)
	key, err := heimdallKey(d)
	if err != nil {
		return nil, err
	}
	signer, err := auth.NewSigner(ctx, acfg, key)
	if err != nil {
		return nil, err
	}
	objects, err := d.JS.KeyValue(ctx, streams.BucketObjects)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", streams.BucketObjects, err)
	}
	emails, err := v1Emails(d)
	if err != nil {
		return nil, err
	}
	tokens := auth.NewTokens(acfg, signer, auth.NewResolver(acfg, auth.NewObjectsDirectory(objects, emails)))

	vcfg := v2client.DefaultConfig()
	setString(d, envProjectURL, &vcfg.ProjectURL)
	setString(d, envCommitteeURL, &vcfg.CommitteeURL)
	setString(d, envProjectAudience, &vcfg.ProjectAudience)
	setString(d, envCommitteeAudience, &vcfg.CommitteeAudience)
	if err := setDuration(d, envV2Timeout, &vcfg.Timeout); err != nil {
		return nil, err
	}
	return v2client.New(vcfg, tokens, d.NC)
}

func heimdallKey(d stageDeps) (*rsa.PrivateKey, error) {
	pem := []byte(d.Env(envHeimdallKeyPEM))
	if path := d.Env(envHeimdallKeyFile); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			// The path is not secret; the content is.
			return nil, fmt.Errorf("%s: %w", envHeimdallKeyFile, err)
		}
		pem = b
	}
	if len(pem) == 0 {
		return nil, notConfigured("the Heimdall signing key is required: set %s or %s", envHeimdallKeyFile, envHeimdallKeyPEM)
	}
	return auth.ParsePrivateKey(pem)
}

func setString(d stageDeps, env string, dst *string) {
	if v := d.Env(env); v != "" {
		*dst = v
	}
}

func setDuration(d stageDeps, env string, dst *time.Duration) error {
	v := d.Env(env)
	if v == "" {
		return nil
	}
	p, err := time.ParseDuration(v)
	if err != nil || p <= 0 {
		return fmt.Errorf("%s=%q: want a positive duration", env, v)
	}
	*dst = p
	return nil
}

func setBool(d stageDeps, env string, dst *bool) error {
	v := d.Env(env)
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%s=%q: want true or false", env, v)
	}
	*dst = b
	return nil
}

func setInt(d stageDeps, env string, dst *int) error {
	v := d.Env(env)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%s=%q: want an integer", env, v)
	}
	*dst = n
	return nil
}
