package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func key(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		var err error
		if testKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	})
	return testKey
}

func testConfig() Config {
	c := DefaultConfig()
	c.KeyID = "test-kid"
	return c
}

func TestParsePrivateKeyPKCS1AndPKCS8(t *testing.T) {
	k := key(t)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"pkcs1": {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)},
		"pkcs8": {Type: "PRIVATE KEY", Bytes: pkcs8},
	} {
		got, err := ParsePrivateKey(pem.EncodeToMemory(block))
		if err != nil || !got.Equal(k) {
			t.Errorf("%s: %v", name, err)
		}
	}
	secret := "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----\n"
	if _, err := ParsePrivateKey([]byte(secret)); err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("bad key: error %v must exist and not quote the input", err)
	}
}

func TestMintedClaimsAreHeimdalls(t *testing.T) {
	s, err := NewSigner(context.Background(), testConfig(), key(t))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	s.now = func() time.Time { return now }
	raw, exp, err := s.Mint("lfx-v2-project-service", Identity{Principal: "jdoe", Email: "j@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(5 * time.Minute)) {
		t.Errorf("exp %v", exp)
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return &key(t).PublicKey, nil },
		jwt.WithValidMethods([]string{"PS256"}), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Header["kid"] != "test-kid" {
		t.Errorf("kid %v", tok.Header["kid"])
	}
	want := map[string]any{"iss": "heimdall", "aud": "lfx-v2-project-service", "sub": "jdoe", "principal": "jdoe",
		"email": "j@example.org", "iat": float64(now.Unix()), "nbf": float64(now.Unix() - 30), "exp": float64(now.Unix() + 300)}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if _, err := uuid.Parse(claims["jti"].(string)); err != nil {
		t.Errorf("jti %v", claims["jti"])
	}
	raw, _, _ = s.Mint("aud", Identity{Principal: "svc@clients"})
	claims = jwt.MapClaims{}
	_, _, _ = jwt.NewParser().ParseUnverified(raw, claims)
	if _, ok := claims["email"]; ok {
		t.Error("email claim present without an email")
	}
}

func TestKeyIDFromJWKS(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kid": "first"}, {"kid": "second"}}})
	}))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.JWKSURL = srv.URL
	s, err := NewSigner(context.Background(), cfg, key(t))
	if err != nil || s.KeyID() != "first" {
		t.Fatalf("kid %q, %v", s.KeyID(), err)
	}
}

func TestResolvePrincipal(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	kv := env.KV(t, streams.BucketObjects)
	rows := map[string]map[string]any{
		"003A": {"username__c": "jdoe"},
		"003H": {"username__c": "no.email.lookup"},
		"003B": {"username__c": "replaced by a msgpack value below"},
		"003G": {"username__c": "john doe"},
		"003C": {"username__c": "jdoe@example.org"},
		"003D": {"username__c": "0123456789abcdef01234567"},
		"003E": {"username__c": "gone", "isdeleted": true},
		"003F": {"username__c": ""},
	}
	for sfid, row := range rows {
		b, _ := json.Marshal(row)
		if sfid == "003B" {
			b, _ = msgpack.Marshal(map[string]any{"username__c": "mp.user"})
		}
		if _, err := kv.Put(context.Background(), MergedUserKey(sfid), b); err != nil {
			t.Fatal(err)
		}
	}
	emails := emailTable{"003A": "jdoe@example.org", "003H": "error"}
	r := NewResolver(testConfig(), NewObjectsDirectory(kv, emails))
	svc := Identity{Principal: "v1sync@clients"}
	cases := map[string]Identity{
		"": svc, "platform": svc, "other@clients": {Principal: "other@clients"},
		"005xx0000012345": svc, "003A": {Principal: "jdoe", Email: "jdoe@example.org"},
		"003B": {Principal: "mp.user"}, "003H": {Principal: "no.email.lookup"}, "003C": svc, "003D": svc, "003E": svc, "003F": svc, "003G": svc, "003Z": svc,
	}
	for in, want := range cases {
		if got := r.Resolve(context.Background(), in); got != want {
			t.Errorf("Resolve(%q) = %+v, want %+v", in, got, want)
		}
	}
}

// emailTable stands in for the v1 database's email lookup (tested in
// stages/v1users); "error" fails the lookup.
type emailTable map[string]string

func (e emailTable) PrimaryEmail(_ context.Context, sfid string) (string, error) {
	if e[sfid] == "error" {
		return "", errors.New("database unavailable")
	}
	return e[sfid], nil
}

func TestTokensReusedUntilLastMinute(t *testing.T) {
	s, err := NewSigner(context.Background(), testConfig(), key(t))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	s.now = func() time.Time { return now }
	toks := NewTokens(testConfig(), s, NewResolver(testConfig(), nil))
	ctx := context.Background()
	a, _ := toks.Token(ctx, "aud1", "")
	b, _ := toks.Token(ctx, "aud1", "")
	c, _ := toks.Token(ctx, "aud2", "")
	if a != b || a == c {
		t.Fatal("want reuse per audience")
	}
	now = now.Add(3*time.Minute + 59*time.Second)
	if d, _ := toks.Token(ctx, "aud1", ""); d != a {
		t.Error("token replaced before its last minute")
	}
	now = now.Add(2 * time.Second)
	if d, _ := toks.Token(ctx, "aud1", ""); d == a {
		t.Error("token reused in its last minute")
	}
}
