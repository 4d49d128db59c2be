package auth

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ParsePrivateKey reads an RSA private key from PEM, PKCS#1 first, then
// PKCS#8. Errors never quote the input: it is a secret.
func ParsePrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("auth: private key: no PEM block found")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("auth: private key: neither PKCS#1 nor PKCS#8")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("auth: private key: %T is not RSA", k)
	}
	return rk, nil
}

// FetchKeyID returns the kid of the first key served at jwksURL.
func FetchKeyID(ctx context.Context, client *http.Client, jwksURL string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return "", fmt.Errorf("auth: jwks request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("auth: jwks %s: %w", jwksURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("auth: jwks %s: status %d", jwksURL, resp.StatusCode)
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return "", fmt.Errorf("auth: jwks %s: %w", jwksURL, err)
	}
	if len(set.Keys) == 0 || set.Keys[0].Kid == "" {
		return "", fmt.Errorf("auth: jwks %s: no key with a kid", jwksURL)
	}
	return set.Keys[0].Kid, nil
}
