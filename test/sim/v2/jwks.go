package v2sim

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// jwksCacheTTL is how long the services keep a fetched key set.
const jwksCacheTTL = 5 * time.Minute

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	N   string `json:"n"`
	E   string `json:"e"`
}

type jwkSet struct {
	Keys []jwk `json:"keys"`
}

// jwks renders the public half of k as a key set.
func (k *signingKey) jwks() jwkSet {
	pub := k.key.PublicKey
	return jwkSet{Keys: []jwk{{
		Kty: "RSA", Kid: k.kid, Use: "sig", Alg: tokenAlg,
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}

// remoteKeys fetches a JWKS URL and keeps it for jwksCacheTTL.
type remoteKeys struct {
	url    string
	client *http.Client
	mu     sync.Mutex
	keys   map[string]*rsa.PublicKey
	first  *rsa.PublicKey
	expiry time.Time
}

func newRemoteKeys(url string) *remoteKeys {
	return &remoteKeys{url: url, client: &http.Client{Timeout: 10 * time.Second}}
}

func (r *remoteKeys) key(kid string) (*rsa.PublicKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Now().After(r.expiry) {
		if err := r.refresh(); err != nil {
			return nil, err
		}
	}
	if kid == "" && r.first != nil {
		return r.first, nil
	}
	if k, ok := r.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}

func (r *remoteKeys) refresh() error {
	resp, err := r.client.Get(r.url)
	if err != nil {
		return fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch jwks: status %d", resp.StatusCode)
	}
	var set jwkSet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return fmt.Errorf("decode jwks: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	r.first = nil
	for _, k := range set.Keys {
		pub, err := k.publicKey()
		if err != nil {
			continue
		}
		keys[k.Kid] = pub
		if r.first == nil {
			r.first = pub
		}
	}
	r.keys, r.expiry = keys, time.Now().Add(jwksCacheTTL)
	return nil
}

func (k jwk) publicKey() (*rsa.PublicKey, error) {
	if k.Kty != "RSA" {
		return nil, fmt.Errorf("key %q is %s, not RSA", k.Kid, k.Kty)
	}
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		return nil, err
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil {
		return nil, err
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
}
