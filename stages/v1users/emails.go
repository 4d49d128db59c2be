// Package v1users answers questions about v1 users that only the v1
// database can answer, such as a user's primary email, which lives in
// salesforce.alternate_email__c rows keyed by the user rather than on the
// user's own row.
package v1users

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier is what the lookups need of a pool or connection.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// primaryEmailSQL picks the user's active address that is not retired
// (".old"), preferring the one flagged primary, then the lowest sfid: the
// prior art's rule. leadorcontactid is indexed.
const primaryEmailSQL = `SELECT alternate_email_address__c
FROM salesforce.alternate_email__c
WHERE leadorcontactid = $1
  AND isdeleted IS NOT TRUE
  AND active__c IS TRUE
  AND alternate_email_address__c IS NOT NULL
  AND lower(alternate_email_address__c) NOT LIKE '%.old'
ORDER BY primary_email__c DESC NULLS LAST, sfid ASC
LIMIT 1`

// Emails finds primary emails in the v1 database, with a cache.
type Emails struct {
	cfg Config
	db  Querier

	mu    sync.Mutex
	cache map[string]cachedEmail
	now   func() time.Time
}

type cachedEmail struct {
	email   string
	expires time.Time
}

// NewEmails returns a lookup over db.
func NewEmails(cfg Config, db Querier) (*Emails, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if db == nil {
		return nil, errors.New("v1users: no database")
	}
	return &Emails{cfg: cfg, db: db, cache: map[string]cachedEmail{}, now: time.Now}, nil
}

// PrimaryEmail returns the primary email of the user (a merged_user sfid),
// "" when the user has none. Errors are the database's, never the DSN.
func (e *Emails) PrimaryEmail(ctx context.Context, userSFID string) (string, error) {
	if email, ok := e.cached(userSFID); ok {
		return email, nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.QueryTimeout)
	defer cancel()
	var email string
	err := e.db.QueryRow(ctx, primaryEmailSQL, userSFID).Scan(&email)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("v1users: primary email of %s: %w", userSFID, err)
	}
	e.remember(userSFID, email)
	return email, nil
}

func (e *Emails) cached(sfid string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.cache[sfid]
	if !ok || !e.now().Before(c.expires) {
		return "", false
	}
	return c.email, true
}

func (e *Emails) remember(sfid, email string) {
	if e.cfg.CacheTTL == 0 || e.cfg.CacheSize == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.cache) >= e.cfg.CacheSize {
		clear(e.cache)
	}
	e.cache[sfid] = cachedEmail{email: email, expires: e.now().Add(e.cfg.CacheTTL)}
}

// Open returns a lookup over a small pool on the v1 database at dsn. The
// pool dials on the first query; errors never echo the DSN (it may hold a
// password).
func Open(cfg Config, dsn string) (*Emails, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("v1users: the v1 database connection string does not parse")
	}
	pc.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, fmt.Errorf("v1users: open pool: %w", err)
	}
	return NewEmails(cfg, pool)
}

// maxConns bounds the pool: lookups are cached and rare.
const maxConns = 4
