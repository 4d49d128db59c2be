package v2sim

// Endpoint names a route as "METHOD /pattern"; faults and call counts are
// keyed by it.
type Endpoint string

// The simulated routes.
const (
	ProjectCreate         Endpoint = "POST /projects"
	ProjectList           Endpoint = "GET /projects"
	ProjectGet            Endpoint = "GET /projects/{uid}"
	ProjectUpdate         Endpoint = "PUT /projects/{uid}"
	ProjectDelete         Endpoint = "DELETE /projects/{uid}"
	ProjectSettingsGet    Endpoint = "GET /projects/{uid}/settings"
	ProjectSettingsUpdate Endpoint = "PUT /projects/{uid}/settings"

	CommitteeCreate         Endpoint = "POST /committees"
	CommitteeGet            Endpoint = "GET /committees/{uid}"
	CommitteeUpdate         Endpoint = "PUT /committees/{uid}"
	CommitteeDelete         Endpoint = "DELETE /committees/{uid}"
	CommitteeSettingsGet    Endpoint = "GET /committees/{uid}/settings"
	CommitteeSettingsUpdate Endpoint = "PUT /committees/{uid}/settings"

	MemberCreate Endpoint = "POST /committees/{uid}/members"
	MemberGet    Endpoint = "GET /committees/{uid}/members/{member_uid}"
	MemberUpdate Endpoint = "PUT /committees/{uid}/members/{member_uid}"
	MemberDelete Endpoint = "DELETE /committees/{uid}/members/{member_uid}"

	// AllEndpoints applies a fault to every route without its own.
	AllEndpoints Endpoint = "*"
)

// Endpoints lists every simulated API route.
var Endpoints = []Endpoint{
	ProjectCreate, ProjectList, ProjectGet, ProjectUpdate, ProjectDelete, ProjectSettingsGet, ProjectSettingsUpdate,
	CommitteeCreate, CommitteeGet, CommitteeUpdate, CommitteeDelete, CommitteeSettingsGet, CommitteeSettingsUpdate,
	MemberCreate, MemberGet, MemberUpdate, MemberDelete,
}
