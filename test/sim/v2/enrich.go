package v2sim

import (
	"strings"
	"sync"
)

// directory stands in for auth-service: email → user (spec §2.5, §7.1 #6).
type directory struct {
	mu    sync.RWMutex
	users map[string]User
}

func newDirectory(initial map[string]User) *directory {
	d := &directory{users: make(map[string]User)}
	for email, u := range initial {
		d.set(email, u)
	}
	return d
}

func (d *directory) set(email string, u User) {
	d.mu.Lock()
	d.users[normEmail(email)] = u
	d.mu.Unlock()
}

func (d *directory) lookup(email string) (User, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	u, ok := d.users[normEmail(email)]
	return u, ok
}

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// enrichUser rewrites a role holder the way the services do: a non-blank
// email decides the username (unknown ⇒ ""), and a known user's profile
// overwrites name and avatar. Entries without email are left alone.
func (d *directory) enrichUser(u UserInfo) UserInfo {
	if strings.TrimSpace(u.Email) == "" {
		return u
	}
	known, ok := d.lookup(u.Email)
	u.Username = known.Username
	if ok {
		u.Name, u.Avatar = known.Name, known.Avatar
	}
	return u
}

func (d *directory) enrichUsers(us []UserInfo) []UserInfo {
	if us == nil {
		return nil
	}
	out := make([]UserInfo, len(us))
	for i, u := range us {
		out[i] = d.enrichUser(u)
	}
	return out
}

func (d *directory) enrichOne(u *UserInfo) *UserInfo {
	if u == nil {
		return nil
	}
	e := d.enrichUser(*u)
	return &e
}

// carryInvites replaces the sent (legacy, server-managed) invite data with
// what was stored for the same user, matched by username else email.
func carryInvites(sent []UserInfo, stored ...[]UserInfo) []UserInfo {
	for i := range sent {
		sent[i].Invite = nil
		for _, list := range stored {
			for _, old := range list {
				if old.Invite != nil && sameUserInfo(sent[i], old) {
					sent[i].Invite = old.Invite
				}
			}
		}
	}
	return sent
}

func sameUserInfo(a, b UserInfo) bool {
	if a.Username != "" || b.Username != "" {
		return a.Username == b.Username
	}
	return a.Email != "" && strings.EqualFold(a.Email, b.Email)
}

func carryInvite(sent *UserInfo, stored ...[]UserInfo) *UserInfo {
	if sent == nil {
		return nil
	}
	return &carryInvites([]UserInfo{*sent}, stored...)[0]
}
