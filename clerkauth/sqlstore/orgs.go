package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// GetOrganization implements [store.Orgs].
func (s *Store) GetOrganization(ctx context.Context, id string) (*store.Organization, error) {
	if store.CleanID("organization", id) != nil {
		return nil, notStorable(ctx, "get organization", store.ErrNotFound)
	}
	var (
		o                     store.Organization
		meta                  sql.NullString
		created, upd, deleted sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, s.q.getOrg, id).Scan(
		&o.ID, &o.Name, &o.Slug, &o.ImageURL, &meta, &created, &upd, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: get organization %s: %w", store.QuoteID(id), err)
	}
	o.PublicMetadata = fromJSON(meta)
	o.CreatedAt, o.UpdatedAt, o.DeletedAt = fromMillis(created), fromMillis(upd), fromMillis(deleted)
	return &o, nil
}

// UpsertOrganization implements [store.Orgs] in one statement, as
// [Store.UpsertUser] does: it writes o as [store.Organization.Clean]
// returns it, and fails as Clean does, or for a nil organization.
func (s *Store) UpsertOrganization(ctx context.Context, o *store.Organization) (bool, error) {
	if o == nil {
		return false, refused("upsert organization", fmt.Errorf("%w: nil organization", store.ErrInvalid))
	}
	c, err := o.Clean()
	if err != nil {
		return false, refused("upsert organization", err)
	}
	return s.write(ctx, "upsert organization "+store.QuoteID(c.ID), s.q.upsertOrg,
		c.ID, c.Name, c.Slug, c.ImageURL, jsonArg(c.PublicMetadata), millis(c.CreatedAt), millis(c.UpdatedAt))
}

// DeleteOrganization implements [store.Orgs] in one statement. It fails
// with an error wrapping [store.ErrInvalid] for an id [store.CleanID]
// refuses or a zero time. The organization's membership records are not
// touched, but the lists no longer hold them (see [Store.ListMembers]).
func (s *Store) DeleteOrganization(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := deletion("delete organization", at, "organization", id); err != nil {
		return false, err
	}
	return s.write(ctx, "delete organization "+store.QuoteID(id), s.q.deleteOrg, id, millis(at))
}
