package v2sim

import (
	"testing"
	"time"
)

const missingUID = "00000000-0000-4000-8000-000000000000"

// TestContractErrorShapes covers spec §1.2, §1.5 and §7.3 #3: the three
// body shapes, Goa 400s for bad UUIDs/enums/?v, and where each comes from.
func TestContractErrorShapes(t *testing.T) {
	h := newHarness(t)
	f := h.fixture(t)
	rows := []row{
		{name: "bad slug pattern: Goa invalid_pattern", want: 400, shape: goaShape("invalid_pattern"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, "Bad_Slug", nil))
		}},
		{name: "bad stage enum: Goa invalid_enum_value", want: 400, shape: goaShape("invalid_enum_value"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), map[string]any{"stage": "Live"}))
		}},
		{name: "missing name: Goa missing_field", want: 400, shape: goaShape("missing_field"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), map[string]any{"name": nil}))
		}},
		{name: "empty uri field: Goa invalid_format (omit instead)", want: 400, shape: goaShape("invalid_format"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), map[string]any{"website_url": ""}))
		}},
		{name: "empty legal_parent_uid: Goa invalid_format", want: 400, shape: goaShape("invalid_format"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), map[string]any{"legal_parent_uid": ""}))
		}},
		{name: "whitespace dissolution date: Goa invalid_format", want: 400, shape: goaShape("invalid_format"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), map[string]any{"stage": "Archived", "entity_dissolution_date": " "}))
		}},
		{name: "wrong JSON type: Goa decode_payload", want: 400, shape: goaShape("decode_payload"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), map[string]any{"public": "yes"}))
		}},
		{name: "empty body: Goa missing_payload", want: 400, shape: goaShape("missing_payload"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/committees", "")
		}},
		{name: "non-UUID project path: 400 not 404", want: 400, shape: goaShape("invalid_format"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", "/projects/not-a-uuid", nil)
		}},
		{name: "non-UUID member path: 400", want: 400, shape: goaShape("invalid_format"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", "/committees/"+f.committee+"/members/nope?v=1", nil)
		}},
		{name: "member route without ?v=1: Goa missing_field", want: 400, shape: goaShape("missing_field"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", "/committees/"+f.committee+"/members/"+f.member, nil)
		}},
		{name: "?v=2: Goa invalid_enum_value", want: 400, shape: goaShape("invalid_enum_value"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", "/projects/"+f.project+"?v=2", nil)
		}},
		{name: "bad X-Sync boolean: Goa 400", want: 400, shape: goaShape("invalid_field_type"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), nil), "X-Sync", "maybe")
		}},
		{name: "project 404: {code,message} + goa-error", want: 404, shape: projectShape("project not found"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", "/projects/"+missingUID, nil)
		}},
		{name: "committee 404: {message} + goa-error", want: 404, shape: committeeShape("committee not found"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", "/committees/"+missingUID, nil)
		}},
		{name: "member 404", want: 404, shape: committeeShape("committee member not found"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", "/committees/"+f.committee+"/members/"+missingUID+"?v=1", nil)
		}},
		{name: "GET /projects is denied like prod (bare 403)", want: 403, shape: bareShape, run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", "/projects", nil)
		}},
	}
	runRows(t, h, rows)
}

// TestContractAuth covers spec §1.1 and §7.1 #1 in direct mode: a token
// the service rejects is a Goa 500 fault; decoding comes first.
func TestContractAuth(t *testing.T) {
	h := newHarness(t)
	key, kid := h.sim.SigningKey()
	mint := func(c TokenClaims) string {
		tok, err := MintToken(key, kid, c)
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	pa, ca := h.sim.Audiences()
	get := "/projects/" + h.sim.RootUID()
	rows := []row{
		{name: "valid token", want: 200, run: func(t *testing.T, h *harness) *resp { return h.req("GET", get, nil) }},
		{name: "no Authorization: 500 fault", want: 500, shape: goaShape("fault"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", get, nil, "Authorization", "")
		}},
		{name: "committee audience on project service: 500", want: 500, shape: goaShape("fault"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", get, nil, "Authorization", mint(TokenClaims{Principal: "p", Audience: ca}))
		}},
		{name: "missing principal claim: 500", want: 500, shape: goaShape("fault"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", get, nil, "Authorization", mint(TokenClaims{Audience: pa}))
		}},
		{name: "wrong issuer: 500", want: 500, shape: goaShape("fault"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", get, nil, "Authorization", mint(TokenClaims{Principal: "p", Audience: pa, Issuer: "other"}))
		}},
		{name: "expired beyond the 5 s skew: 500", want: 500, shape: goaShape("fault"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", get, nil, "Authorization", mint(TokenClaims{Principal: "p", Audience: pa, TTL: -time.Minute}))
		}},
		{name: "garbage token: 500", want: 500, shape: goaShape("fault"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", get, nil, "Authorization", "Bearer abc.def.ghi")
		}},
		{name: "any scheme word works: Goa strips up to the first space", want: 200, run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", get, nil, "Authorization", "Token "+mint(TokenClaims{Principal: "p", Audience: pa})[len("Bearer "):])
		}},
		{name: "validation errors come before auth", want: 400, shape: goaShape("invalid_format"), run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", "/projects/nope", nil, "Authorization", "")
		}},
	}
	runRows(t, h, rows)
}

// TestContractGatewayAuth: behind Heimdall a bad token is a bare status.
func TestContractGatewayAuth(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AuthMode = AuthGateway })
	rows := []row{
		{name: "no token: bare 403", want: 403, shape: bareShape, run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", "/projects/"+h.sim.RootUID(), nil, "Authorization", "")
		}},
		{name: "bad token beats validation: bare 403", want: 403, shape: bareShape, run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", "/projects/nope", nil, "Authorization", "Bearer x")
		}},
		{name: "valid token", want: 200, run: func(t *testing.T, h *harness) *resp {
			return h.req("GET", "/projects/"+h.sim.RootUID(), nil)
		}},
		{name: "POST /projects needs Content-Type exactly application/json", want: 403, shape: bareShape, run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), nil), "Content-Type", "application/json; charset=utf-8")
		}},
		{name: "POST /projects with parent \"\" is denied through Heimdall", want: 403, shape: bareShape, run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), map[string]any{"parent_uid": ""}))
		}},
		{name: "POST /projects under ROOT passes", want: 201, run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), nil))
		}},
	}
	runRows(t, h, rows)
}

// TestRemoteJWKS: keys can come from a JWKS URL (here another simulator's).
func TestRemoteJWKS(t *testing.T) {
	issuer := newHarness(t)
	h := newHarness(t, func(c *Config) { c.JWKSURL, c.SigningKey = issuer.sim.JWKSURL(), nil })
	pa, _ := h.sim.Audiences()
	h.projTok = issuer.token("remote@clients", pa)
	h.req("GET", "/projects/"+h.sim.RootUID(), nil).must(t, 200)
	h.projTok = h.token("local@clients", pa) // signed by h's own key: unknown to the JWKS
	h.req("GET", "/projects/"+h.sim.RootUID(), nil).must(t, 500)
}
