package v2client

import "testing"

func TestClassify(t *testing.T) {
	cases := []struct {
		method string
		status int
		body   string
		want   Kind
	}{
		{"GET", 503, "", Transient},
		{"PUT", 500, `{"name":"fault"}`, Transient},
		{"GET", 403, "", Transient},
		{"GET", 404, `{"message":"committee not found"}`, NotFound},
		{"POST", 400, `{"name":"invalid_pattern"}`, Rejected},
		{"POST", 409, `{"code":"409","message":"project slug already exists"}`, Conflict},
		{"PUT", 409, `{"code":"409","message":"revision mismatch"}`, Stale},
		{"DELETE", 409, `{"message":"committee member has been modified by another process"}`, Stale},
		{"PUT", 409, `{"message":"committee with the same name for the project already exists"}`, Conflict},
	}
	for _, c := range cases {
		if got := classify(c.method, c.status, c.body); got != c.want {
			t.Errorf("%s %d %s: %v, want %v", c.method, c.status, c.body, got, c.want)
		}
	}
}
